"""`canhgiac chat`: the conversation in a terminal, options numbered as on a plain channel."""

from __future__ import annotations

import logging

import click

from bot.app import Services
from bot.channels.base import Capabilities
from bot.channels.render import render
from handlers.conversation import apology
from handlers.messages import IncomingMessage

log = logging.getLogger(__name__)
CAPABILITIES = Capabilities(max_len=4000, buttons=False, html=False)


def run_terminal_chat(services: Services, *, user_key: str = "local") -> None:
    click.echo("Cảnh Giác — trò chuyện trong cửa sổ lệnh. Gõ 'thoát' hoặc Ctrl+D để dừng.\n")
    _say(services, IncomingMessage(channel="terminal", user_key=user_key, payload="start"))
    while True:
        try:
            text = input("> ")
        except (EOFError, KeyboardInterrupt):
            click.echo("\nTạm biệt!")
            return
        if text.strip().lower() in ("thoat", "thoát", "exit", "quit"):
            click.echo("Tạm biệt!")
            return
        _say(services, IncomingMessage(channel="terminal", user_key=user_key, text=text))


def _say(services: Services, msg: IncomingMessage) -> None:
    try:
        replies = services.conversations.handle(msg, numbered_options=True)
    except Exception:
        log.exception("terminal chat message failed")
        replies = apology()
    for item in render(replies, CAPABILITIES):
        for chunk in item.chunks:
            click.echo(chunk + "\n")
