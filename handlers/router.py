"""One entry point for every channel: route(message, context) -> replies.

Order: a numbered answer becomes the payload it stands for; commands and menu words;
button payloads; the current dialog step; anything else is checked as a possible scam.
"""

from __future__ import annotations

from collections.abc import Callable

from content import replies
from content.messages import Reply
from handlers import (
    broadcast,
    check,
    erase,
    library,
    menu,
    officer_link,
    pictures,
    report,
    status,
    subscribe,
)
from handlers.context import HandlerContext
from handlers.messages import IncomingMessage
from handlers.text import fold

Action = Callable[[HandlerContext, str], list[Reply]]
StepHandler = Callable[[HandlerContext, IncomingMessage], list[Reply]]

# Button payloads are "name" or "name:arg"; keep names stable, they live in old messages.
ACTIONS: dict[str, Action] = {
    "menu": menu.show_menu,
    "start": menu.greet,
    "check": check.prompt,
    "lib": library.list_cards,
    "guides": library.list_guides,
    "card": library.show_card,
    "guide": library.show_card,
    "help": menu.show_help,
    "alerts": subscribe.show,
    "unsub": subscribe.unsubscribe,
    "sub": subscribe.action,
    "bc": broadcast.action,
    "broadcast": broadcast.start,
    # A new Zalo follower (the adapter's payload for the `follow` event).
    "follow": subscribe.on_follow,
    "report": report.action,
    "status": status.action,
    "erase": erase.action,
    "link_officer": officer_link.link_account,
}

# Features that a flow module may provide; without one the user is told it is coming.
FEATURE_ACTIONS = ("report", "alerts", "status", "unsub")

# Step prefixes ("check.await" → "check") to the flow that handles input at that step.
STEPS: dict[str, StepHandler] = {
    "check": pictures.on_check_step,
    "sub": subscribe.on_step,
    "bc": broadcast.on_step,
    "report": report.on_step,
    "status": status.on_step,
}

COMMANDS: dict[str, str] = {
    "/start": "start",
    "/menu": "menu",
    "/kiemtra": "check",
    "/baocao": "report",
    "/canhbao": "alerts",
    "/trangthai": "status",
    "/huongdan": "help",
    "/huycanhbao": "unsub",
    "/phatcanhbao": "broadcast",
    "/help": "help",
    "/xoadulieu": "erase",
    "/lienket": "link_officer",
}

# Deep-link payloads of /start (t.me/bot?start=baocao) and their actions.
START_PAYLOADS: dict[str, str] = {"baocao": "report", "kiemtra": "check", "canhbao": "alerts"}

MENU_WORDS = frozenset({"menu", "bat dau", "start", "xin chao", "chao", "hi", "hello", "alo"})
CANCEL_WORDS = frozenset({"huy", "thoat", "dung lai"})
BACK_WORDS = frozenset({"quay lai", "tro lai"})

ATTACHMENT_NAMES = {
    "photo": "một hình ảnh",
    "document": "một tệp",
    "sticker": "một nhãn dán",
    "audio": "một tin nhắn thoại",
    "video": "một video",
}


def register_action(name: str, action: Action) -> None:
    ACTIONS[name] = action


def register_step(prefix: str, handler: StepHandler) -> None:
    STEPS[prefix] = handler


def route(msg: IncomingMessage, ctx: HandlerContext) -> list[Reply]:
    """Handle one message and remember the options its replies offer (for numbered answers)."""
    result = _dispatch(_resolve_number(msg, ctx), ctx)
    ctx.state.data["_options"] = [b.payload for reply in result for b in reply.flat_buttons() if not b.url]
    return result


def _resolve_number(msg: IncomingMessage, ctx: HandlerContext) -> IncomingMessage:
    text = msg.text.strip().rstrip(".)")
    options = ctx.state.data.get("_options") or []
    if msg.payload is None and text.isdigit() and 1 <= int(text) <= len(options):
        from dataclasses import replace

        return replace(msg, payload=str(options[int(text) - 1]), text="")
    return msg


def _dispatch(msg: IncomingMessage, ctx: HandlerContext) -> list[Reply]:
    command = msg.command
    if command is not None:
        name, arg = command
        action = COMMANDS.get(name)
        if action is None:
            return menu.unknown_command(ctx, name)
        if action == "start" and arg.lower().startswith("sub_"):
            ctx.state.reset()
            return run_action(ctx, "sub", "link:" + arg[4:])
        if action == "start" and arg:
            action, arg = START_PAYLOADS.get(arg.lower(), "start"), ""
        ctx.state.reset() if action in ("start", "menu") else None
        return run_action(ctx, action, arg)

    if msg.payload is not None:
        name, _, arg = msg.payload.partition(":")
        in_flow = ctx.state.step is not None and name in ("back", "cancel")
        if not in_flow:
            return run_action(ctx, name, arg)

    folded = fold(msg.text)
    if msg.payload is None and folded in MENU_WORDS:
        ctx.state.reset()
        return menu.show_menu(ctx, greeting=folded != "menu")

    if ctx.state.step is not None:
        prefix = ctx.state.step.split(".", 1)[0]
        handler = STEPS.get(prefix)
        if handler is not None:
            if msg.payload is None and folded in CANCEL_WORDS:
                msg = _as_payload(msg, "cancel")
            elif msg.payload is None and folded in BACK_WORDS:
                msg = _as_payload(msg, "back")
            return handler(ctx, msg)
        ctx.state.goto(None)  # a step from a flow this deployment no longer has

    if msg.payload in ("cancel", "back") or (msg.payload is None and folded in CANCEL_WORDS):
        return menu.show_menu(ctx)

    if pictures.wants(msg, ctx):
        return pictures.check_pictures(ctx, msg)
    if not msg.text.strip() and msg.attachments:
        what = ATTACHMENT_NAMES.get(msg.attachments[0].kind, "một tệp")
        return [Reply(replies.render("unsupported_input", what=what), buttons=[[check.menu_button()]])]
    if not msg.text.strip() and (msg.contact_phone or msg.location):
        return menu.show_menu(ctx)
    return check.check_text(ctx, msg.text, bundled=msg.bundled)


def run_action(ctx: HandlerContext, name: str, arg: str = "") -> list[Reply]:
    action = ACTIONS.get(name)
    if action is not None:
        return action(ctx, arg)
    if name in FEATURE_ACTIONS:
        feature = "alerts" if name == "unsub" else name
        return menu.coming_soon(ctx, feature)
    return menu.show_menu(ctx)


def _as_payload(msg: IncomingMessage, payload: str) -> IncomingMessage:
    from dataclasses import replace

    return replace(msg, payload=payload, text="")
