"""The report draft: a JSON dict in the dialog state, so a restart resumes it.

The story and the contact phone are kept as cipher tokens even in the draft: dialog
state is stored in the database like everything else. The draft lives under its own
key, which survives "menu" and /start (see `handlers.context.KEPT_ON_RESET`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from content import replies
from content.result import Entity
from handlers.context import HandlerContext
from storage.tips import EntityIn, EvidenceIn, TipDraft

KEY = "report_draft"
VERSION = 1
# Bump when the consent text changes in substance; each tip records the version it was given.
CONSENT_VERSION = "2026-01"
MAX_STORY_CHARS = 20_000
MAX_ENTITIES = 30
# Schemes whose very nature is a threat in progress (a child "held", a ransom asked).
THREAT_MODI = frozenset({"virtual-kidnapping"})

Draft = dict[str, Any]


def get(ctx: HandlerContext) -> Draft | None:
    draft = ctx.state.data.get(KEY)
    return draft if isinstance(draft, dict) and draft.get("v") == VERSION else None


def new(ctx: HandlerContext) -> Draft:
    draft: Draft = {"v": VERSION, "started_at": ctx.now.isoformat(), "entities": [], "evidence": []}
    ctx.state.data[KEY] = draft
    touch(ctx, draft)
    return draft


def touch(ctx: HandlerContext, draft: Draft) -> None:
    """Mark activity: the reminder and the expiry count from here."""
    draft["touched_at"] = ctx.now.isoformat()
    draft.pop("reminded", None)


def drop(ctx: HandlerContext) -> Draft | None:
    """Remove the draft and its stored files (cancel, restart, erasure)."""
    draft = ctx.state.data.pop(KEY, None)
    if isinstance(draft, dict) and ctx.evidence is not None:
        for item in draft.get("evidence", []):
            ctx.evidence.delete(str(item.get("key", "")))
    return draft if isinstance(draft, dict) else None


def story(ctx: HandlerContext, draft: Draft) -> str:
    token = draft.get("story")
    if not token or ctx.cipher is None:
        return ""
    return ctx.cipher.decrypt(token) or ""


def add_story(ctx: HandlerContext, draft: Draft, text: str) -> bool:
    """Append one message to the story; False when the story is already at its limit."""
    assert ctx.cipher is not None
    current = story(ctx, draft)
    if len(current) >= MAX_STORY_CHARS:
        return False
    joined = f"{current}\n\n{text}" if current else text
    draft["story"] = ctx.cipher.encrypt(joined[:MAX_STORY_CHARS])
    draft["story_parts"] = int(draft.get("story_parts", 0)) + 1
    return True


def add_entities(draft: Draft, entities: list[Entity] | list[dict[str, Any]]) -> int:
    """Add identifiers not yet in the draft; returns how many were new."""
    known = {(e["kind"], e["value"]) for e in draft["entities"]}
    added = 0
    for entity in entities:
        item = (
            {"kind": entity.kind, "value": entity.value, "bank": entity.bank}
            if isinstance(entity, Entity)
            else {"kind": entity["kind"], "value": entity["value"], "bank": entity.get("bank")}
        )
        key = (item["kind"], item["value"])
        if key in known or len(draft["entities"]) >= MAX_ENTITIES:
            continue
        known.add(key)
        draft["entities"].append(item)
        added += 1
    return added


def phone(ctx: HandlerContext, draft: Draft) -> str | None:
    token = draft.get("phone")
    return ctx.cipher.decrypt(token) if token and ctx.cipher else None


def occurred_on(draft: Draft) -> dt.date | None:
    value = draft.get("occurred_on")
    return dt.date.fromisoformat(value) if value else None


def threat_now(ctx: HandlerContext, draft: Draft, text: str) -> bool:
    """A threat going on as the resident writes: it happened today or yesterday (Vietnam's
    date), and it is a kidnapping-style extortion or the story itself tells of a threat (the
    check engine's 'threat' sign: arrest, a locked account, harm to a relative)."""
    when = occurred_on(draft)
    today = ctx.now.astimezone(replies.VN_TZ).date()
    if when is None or not dt.timedelta(0) <= today - when <= dt.timedelta(days=1):
        return False
    if draft.get("modus") in THREAT_MODI:
        return True
    return bool(text) and "threat" in ctx.checker.signals(text)


def to_tip_draft(ctx: HandlerContext, draft: Draft) -> TipDraft:
    contact = phone(ctx, draft)
    text = story(ctx, draft)
    return TipDraft(
        reporter_channel=ctx.channel,
        reporter_user_key=ctx.user_key,
        consent_at=dt.datetime.fromisoformat(draft["consent_at"]),
        consent_version=str(draft.get("consent_version", CONSENT_VERSION)),
        modus_id=str(draft.get("modus") or "other"),
        story=text,
        occurred_on=occurred_on(draft),
        amount_lost=draft.get("amount"),
        province_code=draft.get("province"),
        ward_code=draft.get("ward"),
        anonymous=contact is None,
        contact_phone=contact,
        contact_consent_at=(dt.datetime.fromisoformat(draft["contact_consent_at"]) if contact else None),
        # The number the resident left for contact is theirs, whatever step it was also typed in.
        entities=tuple(
            EntityIn(e["kind"], e["value"], e.get("bank"))
            for e in draft["entities"]
            if not (e["kind"] == "phone" and e["value"] == contact)
        ),
        evidence=tuple(
            EvidenceIn(e["kind"], e["filename"], e["mime"], e["size"], e["sha256"], e["key"])
            for e in draft["evidence"]
        ),
        threat_now=threat_now(ctx, draft, text),
    )
