"""/trangthai: a reporter looks up their own tip by its code.

Only the chat account that sent a tip can see it: a code that does not exist and a code
of someone else's tip get the same neutral answer, so codes cannot be probed.
"""

from __future__ import annotations

from content import replies
from content.messages import Button, Reply
from handlers.check import menu_button
from handlers.context import HandlerContext
from handlers.messages import IncomingMessage
from handlers.report.notify import status_label
from storage import tips

STEP_AWAIT = "status.await"
RECENT = 5


def action(ctx: HandlerContext, arg: str = "") -> list[Reply]:
    from handlers import menu

    if not ctx.features.status:
        return menu.coming_soon(ctx, "status")
    code = arg.strip()
    if not code:
        return _prompt(ctx)
    ctx.state.goto(None)
    tip = tips.get_tip_for_reporter(ctx.session, code=code, channel=ctx.channel, user_key=ctx.user_key)
    if tip is None:
        text = replies.render("status_not_found")
        return [Reply(text, buttons=[[Button(replies.label("status"), "status")], [menu_button()]])]
    text = replies.render(
        "status_show",
        code=tips.format_code(tip.code),
        status=tip.status,
        status_label=status_label(tip.status),
        created_at=tip.created_at,
        updated_at=tip.updated_at,
    )
    return [Reply(text, buttons=[[menu_button()]])]


def _prompt(ctx: HandlerContext) -> list[Reply]:
    ctx.state.goto(STEP_AWAIT)
    mine = tips.tips_of_reporter(ctx.session, channel=ctx.channel, user_key=ctx.user_key, limit=RECENT)
    rows = [
        [Button(f"{tips.format_code(t.code)} · {status_label(t.status)}", f"status:{t.code}")] for t in mine
    ]
    text = replies.render("status_prompt", count=len(mine))
    return [Reply(text, buttons=[*rows, [menu_button()]])]


def on_step(ctx: HandlerContext, msg: IncomingMessage) -> list[Reply]:
    from handlers import menu

    if msg.payload in ("cancel", "back") or not msg.text.strip():
        return menu.show_menu(ctx)
    return action(ctx, msg.text)
