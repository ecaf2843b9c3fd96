"""Greeting, menu, help, and honest answers for features not offered here yet."""

from __future__ import annotations

from content import replies
from content.messages import Button, Reply
from handlers.check import menu_button
from handlers.context import HandlerContext

FEATURE_NAMES = {
    "report": "Báo cáo vụ việc",
    "alerts": "Nhận cảnh báo",
    "status": "Tra cứu vụ việc",
}


def menu_buttons() -> list[list[Button]]:
    return [
        [Button(replies.label("check"), "check")],
        [Button(replies.label("library"), "lib:1")],
        [Button(replies.label("report"), "report")],
        [Button(replies.label("alerts"), "alerts"), Button(replies.label("status"), "status")],
        [Button(replies.label("emergency"), "guide:after-scam")],
        [Button(replies.label("help"), "help")],
    ]


def show_menu(ctx: HandlerContext, _arg: str = "", *, greeting: bool = False) -> list[Reply]:
    ctx.state.goto(None)
    return [Reply(replies.render("menu", greeting=greeting, name=None), buttons=menu_buttons())]


def greet(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    return show_menu(ctx, greeting=True)


def show_help(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    text = replies.render("help", numbered=ctx.numbered_options)
    return [Reply(text, buttons=[[menu_button()]])]


def coming_soon(ctx: HandlerContext, feature_key: str) -> list[Reply]:
    text = replies.render(
        "coming_soon", feature=FEATURE_NAMES.get(feature_key, feature_key), feature_key=feature_key
    )
    return [Reply(text, buttons=[[menu_button()]])]


def unknown_command(ctx: HandlerContext, command: str) -> list[Reply]:
    return [Reply(replies.render("unknown_command", command=command), buttons=[[menu_button()]])]
