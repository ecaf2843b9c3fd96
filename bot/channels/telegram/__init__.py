"""Telegram through aiogram 3: updates in (webhook or long polling), replies out via the Bot API.

Only this package knows aiogram. Updates become `IncomingMessage`s (inbound.py), replies are
rendered and sent with aiogram's `Bot` methods, and Bot API errors are mapped onto the neutral
send errors of `bot.channels.base` (outbound.py). Recording, ordering and retries of inbound
updates belong to `bot.dispatch.Dispatcher`; the webhook and the poller only hand updates to it.
"""

CHANNEL = "telegram"

# What we ask Telegram to deliver (webhook and getUpdates alike). Edited messages are not
# asked for: the original was answered already, and re-running a dialog step on an edit
# would confuse the conversation (inbound.py ignores them if they arrive anyway).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
