"""The conversations, platform-neutral: an incoming message and the user's state in,
replies and state changes out. Never imports aiogram, httpx or FastAPI; a handler
cannot tell Zalo from Telegram.
"""
