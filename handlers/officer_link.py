"""`/lienket CODE`: an officer links this chat account to their console account.

The console shows a one-time code; typed here, it links (channel, user_key) to the
officer so that notifications can reach them in chat. The reply never says whose
account a code belongs to unless the code was right.
"""

from __future__ import annotations

from content import replies
from content.messages import Reply
from handlers.check import menu_button
from handlers.context import HandlerContext
from storage import officer_links


def link_account(ctx: HandlerContext, arg: str = "") -> list[Reply]:
    if not arg.strip():
        return [Reply(replies.render("officer_link", status="missing"), buttons=[[menu_button()]])]
    result = officer_links.redeem_link_code(
        ctx.session, text=arg, channel=ctx.channel, user_key=ctx.user_key, now=ctx.now
    )
    name = result.officer.full_name if result.officer is not None else ""
    text = replies.render(
        "officer_link", status=result.status, name=name, minutes=officer_links.LINK_CODE_MINUTES
    )
    return [Reply(text, buttons=[[menu_button()]])]
