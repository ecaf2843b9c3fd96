"""Check: free text or a forwarded message → a verdict card with its next steps."""

from __future__ import annotations

from typing import Any

from content import replies
from content.messages import Button, Reply
from content.result import CheckResult, Entity
from handlers.context import HandlerContext
from handlers.messages import IncomingMessage

STEP_AWAIT = "check.await"
MAX_CHECK_CHARS = 20_000


def prompt(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    ctx.state.goto(STEP_AWAIT)
    return [Reply(replies.render("check_prompt"), buttons=[[menu_button()]])]


def on_step(ctx: HandlerContext, msg: IncomingMessage) -> list[Reply]:
    ctx.state.goto(None)
    return check_text(ctx, msg.text, bundled=msg.bundled)


def check_text(ctx: HandlerContext, text: str, *, bundled: int = 1) -> list[Reply]:
    """`bundled`: how many forwarded messages `text` joins, said on the card."""
    text = _checked(text)
    if not text:
        return [Reply(replies.render("check_empty"), buttons=[[menu_button()]])]
    result = ctx.checker.check(text, ctx.lookup)
    ctx.state.data["last_check"] = summarise(result)
    return [verdict_reply(ctx, result, bundled=bundled)]


def text_to_check(msg: IncomingMessage, step: str | None) -> str | None:
    """The text this message will most likely be checked as (free text while idle or asked
    for), so a batch can look up every text's numbers and links in one query; a guess that
    turns out wrong costs only that."""
    if msg.payload is not None or msg.command is not None or step not in (None, STEP_AWAIT):
        return None
    return _checked(msg.text) or None


def _checked(text: str) -> str:
    return text.strip()[:MAX_CHECK_CHARS]


def summarise(result: CheckResult) -> dict[str, Any]:
    """What a report started from this check is pre-filled with (no free text kept)."""
    return {
        "verdict": result.verdict.value,
        "modus": result.top_modus,
        "entities": [{"kind": e.kind, "value": e.value, "bank": e.bank} for e in result.entities],
    }


def verdict_reply(ctx: HandlerContext, result: CheckResult, *, bundled: int = 1) -> Reply:
    card = ctx.library.get(result.named_modus) if result.named_modus else None
    text = replies.render(
        "check_result",
        bundled=bundled,
        verdict=result.verdict.value,
        verdict_label=replies.label(f"verdict_{result.verdict.value}"),
        looks_genuine=result.looks_genuine,
        card=card,
        # the card's title already names the modus
        reasons=[r.text for r in result.reasons if not (card is not None and r.code == "modus")],
        entities=[_entity_view(e, result.reports_for(e)) for e in result.entities[:10]],
    )
    rows: list[list[Button]] = [[Button(replies.label("report"), "report:check")]]
    if card is not None:
        rows.append([Button(replies.label("prevent"), f"card:{card.id}")])
    rows.append([Button(replies.label("emergency"), "guide:after-scam")])
    rows.append([menu_button()])
    return Reply(text, buttons=rows)


def _entity_view(entity: Entity, reported: int) -> dict[str, Any]:
    shown = entity.host if entity.kind == "url" and entity.host else entity.value
    if entity.kind == "phone":
        shown = display_phone(entity.value)
    if entity.kind == "bank_account" and entity.bank:
        shown = f"{entity.value} ({entity.bank})"
    return {
        "label": replies.label(f"kind_{entity.kind}"),
        "shown": shown,
        "reported": reported,
        "lookalike_of": entity.lookalike_of,
    }


def menu_button() -> Button:
    return Button(replies.label("menu"), "menu")


def display_phone(e164: str) -> str:
    """+84912345678 → 0912 345 678, as residents write and read Vietnamese numbers."""
    if e164.startswith("+84") and len(e164) == 12:
        national = "0" + e164[3:]
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return e164
