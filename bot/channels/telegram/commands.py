"""The command menu Telegram shows next to the text box (setMyCommands), in Vietnamese.

What each command does is decided by `handlers.router.COMMANDS`; this is only the menu.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import SetMyCommands
from aiogram.types import BotCommand

from content import replies

log = logging.getLogger(__name__)

MENU_COMMANDS = ("start", "kiemtra", "baocao", "canhbao", "trangthai", "huongdan")


def bot_commands() -> list[BotCommand]:
    return [BotCommand(command=name, description=replies.label(f"command_{name}")) for name in MENU_COMMANDS]


async def register_commands(bot: Bot) -> bool:
    """Publish the menu; a failure is logged, never fatal (the commands work without the menu)."""
    try:
        await bot(SetMyCommands(commands=bot_commands()))
    except TelegramAPIError as exc:
        log.error("telegram: setMyCommands failed: %s", exc.message)
        return False
    return True
