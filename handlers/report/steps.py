"""Questions and answers of the first steps: consent, modus, story, when, amount,
identifiers, evidence. Each `ask_*` builds the question; each `on_*` reads the answer.
"""

from __future__ import annotations

import datetime as dt
import re

from content import replies
from content.extract import extract
from content.messages import Button, Reply
from content.own_numbers import own_phones
from content.result import Entity
from handlers.check import display_phone
from handlers.context import HandlerContext
from handlers.messages import Attachment, IncomingMessage
from handlers.report import draft as drafts
from handlers.report import evidence
from handlers.report.draft import Draft
from handlers.report.flow import ANSWERS, ASKERS, PREFIX, advance, is_done_word, nav_row, question, retry
from handlers.report.notify import modus_title
from handlers.report.parse import parse_amount, parse_date
from handlers.text import fold

YES_WORDS = frozenset({"dong y", "toi dong y", "co", "co dong y", "dongy", "ok dong y", "yes"})
NO_WORDS = frozenset({"khong", "khong dong y", "tu choi", "no"})
MODUS_PAGE = 8
_DIGITS_ONLY = re.compile(r"^[\d .\-]{6,30}$")


def _b(label_key: str, arg: str) -> Button:
    return Button(replies.label(label_key), f"{PREFIX}:{arg}")


# consent ------------------------------------------------------------------------------------


def ask_consent(ctx: HandlerContext, draft: Draft) -> Reply:
    text = replies.render(
        "report_consent",
        retention_days=ctx.report.retention_days,
        expire_days=ctx.report.draft_expire_days,
    )
    buttons = [[_b("consent_yes", "consent:yes")], [_b("consent_no", "consent:no")], nav_row(back=False)]
    return Reply(text, buttons=buttons)


def on_consent(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    typed = fold(msg.text).strip(" .!")
    if arg == "consent:yes" or (arg is None and typed in YES_WORDS):
        draft["consent_at"] = ctx.now.isoformat()
        draft["consent_version"] = drafts.CONSENT_VERSION
        return advance(ctx, draft, "consent")
    if arg == "consent:no" or (arg is None and typed in NO_WORDS):
        drafts.drop(ctx)
        ctx.state.goto(None)
        buttons = [
            [Button(replies.label("emergency"), "guide:after-scam")],
            [Button(replies.label("menu"), "menu")],
        ]
        return [Reply(replies.render("report_no_consent"), buttons=buttons)]
    return retry(ctx, draft, "consent", "consent")


# modus --------------------------------------------------------------------------------------


def ask_modus(ctx: HandlerContext, draft: Draft) -> Reply:
    hint = draft.get("modus_hint")
    page = int(draft.get("modus_page", 0) or 0)
    if hint and ctx.library.get(hint) is not None and not page:
        buttons = [
            [Button(f"✅ {modus_title(ctx.library, hint)}", f"{PREFIX}:modus:{hint}")],
            [_b("modus_list", "modus_list:1")],
            [_b("modus_other", "modus:other")],
            nav_row(),
        ]
        return Reply(replies.render("report_modus", hint=modus_title(ctx.library, hint)), buttons=buttons)
    cards = ctx.library.browsing_order()
    page = max(page, 1)
    pages = max(1, -(-len(cards) // MODUS_PAGE))
    page = min(page, pages)
    rows = [
        [Button(card.title, f"{PREFIX}:modus:{card.id}")]
        for card in cards[(page - 1) * MODUS_PAGE : page * MODUS_PAGE]
    ]
    more = [_b("more", f"modus_list:{page % pages + 1}")] if pages > 1 else []
    rows.append([_b("modus_other", "modus:other"), *more])
    rows.append(nav_row())
    return Reply(replies.render("report_modus", hint=None), buttons=rows)


def on_modus(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if arg and arg.startswith("modus_list:"):
        draft["modus_page"] = int(arg.split(":", 1)[1]) if arg.split(":", 1)[1].isdigit() else 1
        return question(ctx, draft, "modus")
    chosen: str | None = None
    if arg and arg.startswith("modus:"):
        chosen = arg.split(":", 1)[1]
    elif arg is None and msg.text.strip():
        chosen = _match_modus(ctx, msg.text)
    if chosen == "other" or (chosen and ctx.library.get(chosen) is not None):
        draft["modus"] = chosen
        draft.pop("modus_page", None)
        return advance(ctx, draft, "modus")
    return retry(ctx, draft, "modus", "modus")


def _match_modus(ctx: HandlerContext, text: str) -> str | None:
    typed = fold(text).strip(" .!")
    if typed in ("khac", "khong ro", "khong biet", "chua ro"):
        return "other"
    found = [c.id for c in ctx.library.modus_cards() if typed and (typed in fold(c.title) or typed == c.id)]
    return found[0] if len(found) == 1 else None


# story --------------------------------------------------------------------------------------


def ask_story(ctx: HandlerContext, draft: Draft) -> Reply:
    parts = int(draft.get("story_parts", 0) or 0)
    buttons = [[_b("done", "story:done")]] if parts else []
    if parts:
        buttons.append([_b("story_clear", "story:clear")])
    buttons.append(nav_row())
    return Reply(replies.render("report_story", parts=parts), buttons=buttons)


def on_story(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if arg == "story:clear":
        draft.pop("story", None)
        draft["story_parts"] = 0
        return question(ctx, draft, "story")
    text = msg.text.strip()
    if arg == "story:done" or (arg is None and is_done_word(text) and not msg.attachments):
        if not draft.get("story"):
            return retry(ctx, draft, "story", "story_empty")
        return advance(ctx, draft, "story")
    if arg is not None or (not text and not msg.attachments):
        return retry(ctx, draft, "story", "story")
    notes: list[str] = []
    if text:
        if drafts.add_story(ctx, draft, text):
            parts = int(draft.get("story_parts", 0) or 0)
            notes.append(replies.render("report_story_ack", parts=parts, forwarded=msg.forwarded))
        else:
            notes.append(replies.render("report_retry", reason="story_full"))
        own = own_phones(text)  # the resident's own number is not the scammer's
        found = drafts.add_entities(
            draft, [e for e in extract(text) if not (e.kind == "phone" and e.value in own)]
        )
        if found:
            notes.append(replies.render("report_found", count=found, later=True))
    if msg.attachments:
        notes.append(evidence_note(ctx, draft, msg.attachments))
    return question(ctx, draft, "story", hint="\n".join(notes))


# when ---------------------------------------------------------------------------------------


def ask_when(ctx: HandlerContext, draft: Draft) -> Reply:
    buttons = [
        [_b("today", "when:today"), _b("yesterday", "when:yesterday")],
        [_b("not_sure", "when:unknown")],
    ]
    return Reply(replies.render("report_when"), buttons=[*buttons, nav_row()])


def on_when(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    today = ctx.now.astimezone(replies.VN_TZ).date()
    if arg in ("when:today", "when:yesterday", "when:unknown"):
        days = {"when:today": 0, "when:yesterday": 1}.get(arg)
        draft["occurred_on"] = (today - dt.timedelta(days=days)).isoformat() if days is not None else None
        return advance(ctx, draft, "when")
    if arg is None and fold(msg.text) in ("khong nho", "khong nho ro", "khong biet", "khong ro"):
        draft["occurred_on"] = None
        return advance(ctx, draft, "when")
    answer = parse_date(msg.text, today) if arg is None else None
    if answer is None:
        return retry(ctx, draft, "when", "when")
    if answer.value is None:
        return retry(ctx, draft, "when", f"when_{answer.error}")
    draft["occurred_on"] = answer.value.isoformat()
    return advance(ctx, draft, "when")


# amount -------------------------------------------------------------------------------------


def ask_amount(ctx: HandlerContext, draft: Draft) -> Reply:
    return Reply(replies.render("report_amount"), buttons=[[_b("no_loss", "amount:none")], nav_row()])


def on_amount(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if arg == "amount:none":
        draft["amount"] = 0
        return advance(ctx, draft, "amount")
    amount = parse_amount(msg.text) if arg is None else None
    if amount is None:
        return retry(ctx, draft, "amount", "amount")
    draft["amount"] = amount
    return advance(ctx, draft, "amount")


# the scammer's numbers, accounts and links ---------------------------------------------------


def ask_entities(ctx: HandlerContext, draft: Draft) -> Reply:
    entities = draft["entities"]
    views = [_entity_view(e) for e in entities]
    rows: list[list[Button]] = [[_b("entities_ok" if entities else "entities_none", "ent:ok")]]
    rows += [[Button(f"✖️ {v['shown'][:40]}", f"{PREFIX}:ent:del:{i}")] for i, v in enumerate(views[:8])]
    rows.append(nav_row())
    return Reply(replies.render("report_entities", entities=views), buttons=rows)


def on_entities(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if arg == "ent:ok" or (arg is None and is_done_word(msg.text)):
        return advance(ctx, draft, "entities")
    if arg and arg.startswith("ent:del:"):
        index = arg.rsplit(":", 1)[1]
        if index.isdigit() and int(index) < len(draft["entities"]):
            draft["entities"].pop(int(index))
        return question(ctx, draft, "entities")
    found = _typed_entities(msg.text) if arg is None else []
    if not found:
        return retry(ctx, draft, "entities", "entities")
    added = drafts.add_entities(draft, found)
    return question(ctx, draft, "entities", hint=replies.render("report_found", count=added, later=False))


def _typed_entities(text: str) -> list[Entity]:
    found = extract(text)
    if not found and _DIGITS_ONLY.match(text.strip()):
        digits = re.sub(r"\D", "", text)
        if 6 <= len(digits) <= 19:  # a bare number typed here is an account the scammer gave
            found = [Entity(kind="bank_account", value=digits)]
    return found


def _entity_view(entity: dict[str, str]) -> dict[str, str]:
    shown = display_phone(entity["value"]) if entity["kind"] == "phone" else entity["value"]
    if entity["kind"] == "bank_account" and entity.get("bank"):
        shown = f"{shown} ({entity['bank']})"
    return {"label": replies.label(f"kind_{entity['kind']}"), "shown": shown}


# evidence -----------------------------------------------------------------------------------


def ask_evidence(ctx: HandlerContext, draft: Draft) -> Reply:
    count = len(draft["evidence"])
    text = replies.render(
        "report_evidence",
        count=count,
        max_files=ctx.report.evidence_max_files,
        max_mb=max(1, ctx.report.evidence_max_bytes // 1_000_000),
    )
    return Reply(text, buttons=[[_b("done" if count else "skip", "ev:done")], nav_row()])


def on_evidence(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if msg.attachments:
        return question(ctx, draft, "evidence", hint=evidence_note(ctx, draft, msg.attachments))
    if arg == "ev:done" or (arg is None and is_done_word(msg.text)):
        return advance(ctx, draft, "evidence")
    return retry(ctx, draft, "evidence", "evidence")


def evidence_note(ctx: HandlerContext, draft: Draft, attachments: tuple[Attachment, ...]) -> str:
    """Store the files and say, file by file, what became of them."""
    return replies.render(
        "report_evidence_ack",
        outcomes=evidence.accept(ctx, draft, attachments),
        max_files=ctx.report.evidence_max_files,
        max_mb=max(1, ctx.report.evidence_max_bytes // 1_000_000),
    )


for _name, _ask, _on in (
    ("consent", ask_consent, on_consent),
    ("modus", ask_modus, on_modus),
    ("story", ask_story, on_story),
    ("when", ask_when, on_when),
    ("amount", ask_amount, on_amount),
    ("entities", ask_entities, on_entities),
    ("evidence", ask_evidence, on_evidence),
):
    ASKERS[_name] = _ask
    ANSWERS[_name] = _on
