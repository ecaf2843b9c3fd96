"""/xoadulieu: a resident erases what the bot keeps about them, after a confirmation.

Erased at once: an unfinished report (with its files), the last check, the contact
phone on every tip they sent, and whatever handled platform updates still hold of them.
A sent tip itself stays with the police (it is part of a case); its personal data is
erased after the retention period.
"""

from __future__ import annotations

from content import replies
from content.messages import Button, Reply
from handlers.check import menu_button
from handlers.context import HandlerContext
from handlers.report import draft as drafts
from storage import inbox, tips


def action(ctx: HandlerContext, arg: str = "") -> list[Reply]:
    if arg != "yes":
        ctx.state.goto(None)
        buttons = [[Button(replies.label("erase_yes"), "erase:yes")], [Button(replies.label("keep"), "menu")]]
        return [
            Reply(replies.render("erase_confirm", retention_days=ctx.report.retention_days), buttons=buttons)
        ]
    had_draft = drafts.drop(ctx) is not None
    ctx.state.data.pop("last_check", None)
    ctx.state.goto(None)
    contacts = tips.erase_reporter_contacts(
        ctx.session, channel=ctx.channel, user_key=ctx.user_key, now=ctx.now
    )
    inbox.forget_user(ctx.session, channel=ctx.channel, user_key=ctx.user_key)
    text = replies.render("erase_done", had_draft=had_draft, contacts=contacts)
    return [Reply(text, buttons=[[menu_button()]])]
