"""The last steps: province, commune/ward, contact (or anonymity), the summary and submit.

Places are matched with `content.places` (with or without diacritics, old names too);
when several match, the resident picks one: an ambiguous place is never guessed.
"""

from __future__ import annotations

from content import places, replies
from content.extract import extract
from content.messages import Button, Reply
from handlers.check import display_phone
from handlers.context import HandlerContext
from handlers.messages import IncomingMessage
from handlers.report import draft as drafts
from handlers.report.draft import Draft
from handlers.report.flow import ANSWERS, ASKERS, EDITABLE, PREFIX, advance, nav_row, question, retry
from handlers.report.notify import modus_title, officer_new_tip, place_name
from handlers.text import fold
from storage import tips

ANONYMOUS_WORDS = frozenset({"an danh", "giu an danh", "khong", "khong can", "khong muon"})
SEND_WORDS = frozenset({"gui", "gui di", "gui tin bao", "dong y", "ok"})


def _b(label_key: str, arg: str) -> Button:
    return Button(replies.label(label_key), f"{PREFIX}:{arg}")


def _choices(draft: Draft, found: list[places.Place], prefix: str) -> list[list[Button]]:
    return [[Button(p.full_name, f"{PREFIX}:{prefix}:{p.ward_code or p.province_code}")] for p in found]


# province -----------------------------------------------------------------------------------


def ask_province(ctx: HandlerContext, draft: Draft) -> Reply:
    found = [places.province(c) for c in draft.get("choices", [])]
    rows = _choices(draft, [p for p in found if p], "prov") if draft.get("choosing") == "prov" else []
    return Reply(replies.render("report_province", choosing=bool(rows)), buttons=[*rows, nav_row()])


def on_province(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if arg and arg.startswith("prov:") and arg[5:].isdigit() and places.province(int(arg[5:])):
        return _set_province(ctx, draft, int(arg[5:]))
    address = places.match_address(msg.text) if arg is None and msg.text.strip() else None
    if address is not None:
        return _set_address(ctx, draft, address)
    found = places.match_province(msg.text) if arg is None and msg.text.strip() else []
    if len(found) == 1:
        return _set_province(ctx, draft, found[0].province_code)
    if found:
        draft["choosing"], draft["choices"] = "prov", [p.province_code for p in found]
        return question(ctx, draft, "province")
    draft.pop("choosing", None)
    return retry(ctx, draft, "province", "province")


def _set_province(ctx: HandlerContext, draft: Draft, code: int) -> list[Reply]:
    if draft.get("province") != code:
        draft["ward"] = None
    draft["province"] = code
    draft.pop("choosing", None)
    draft.pop("choices", None)
    return advance(ctx, draft, "province")


def _set_address(ctx: HandlerContext, draft: Draft, address: places.Address) -> list[Reply]:
    """A commune/ward and province in one answer: on to the next question, or a pick between
    the communes/wards it may mean."""
    if len(address.wards) == 1:
        draft["province"] = address.province.province_code
        return _set_ward(ctx, draft, address.wards[0].ward_code)
    if not address.wards:
        return _set_province(ctx, draft, address.province.province_code)
    draft["province"], draft["ward"] = address.province.province_code, None
    draft["choosing"], draft["choices"] = "ward", [w.ward_code for w in address.wards]
    return question(ctx, draft, "ward")


# ward ---------------------------------------------------------------------------------------


def ask_ward(ctx: HandlerContext, draft: Draft) -> Reply:
    province = places.province(int(draft.get("province") or 0))
    rows: list[list[Button]] = []
    if draft.get("choosing") == "ward":
        found = [places.ward(c) for c in draft.get("choices", [])]
        rows = _choices(draft, [p for p in found if p], "ward")
    rows.append([_b("ward_unknown", "ward:none")])
    text = replies.render(
        "report_ward", province=province.province_name if province else "", choosing=len(rows) > 1
    )
    return Reply(text, buttons=[*rows, nav_row()])


def on_ward(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    province = int(draft.get("province") or 0)
    if not province:
        return question(ctx, draft, "province")
    if arg == "ward:none":
        return _set_ward(ctx, draft, None)
    if arg and arg.startswith("ward:") and arg[5:].isdigit():
        place = places.ward(int(arg[5:]))
        if place is not None and place.province_code == province:
            return _set_ward(ctx, draft, place.ward_code)
    found = places.match_ward(province, msg.text) if arg is None and msg.text.strip() else []
    if len(found) == 1:
        return _set_ward(ctx, draft, found[0].ward_code)
    if found:
        draft["choosing"], draft["choices"] = "ward", [p.ward_code for p in found]
        return question(ctx, draft, "ward")
    draft.pop("choosing", None)
    name = places.province(province)
    return retry(ctx, draft, "ward", "ward", province=name.province_name if name else "")


def _set_ward(ctx: HandlerContext, draft: Draft, code: int | None) -> list[Reply]:
    draft["ward"] = code
    draft.pop("choosing", None)
    draft.pop("choices", None)
    return advance(ctx, draft, "ward")


# contact ------------------------------------------------------------------------------------


def ask_contact(ctx: HandlerContext, draft: Draft) -> Reply:
    buttons = [[_b("anonymous", "contact:anon")], [_b("give_phone", "contact:phone")], nav_row()]
    return Reply(replies.render("report_contact"), buttons=buttons)


def on_contact(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if arg == "contact:anon" or (arg is None and fold(msg.text).strip(" .!") in ANONYMOUS_WORDS):
        return _set_phone(ctx, draft, None)
    if arg == "contact:phone":
        return question(ctx, draft, "phone")
    typed = _phone_in(msg) if arg is None else None
    if typed:  # typing one's number after reading what it is for is the opt-in
        return _set_phone(ctx, draft, typed)
    return retry(ctx, draft, "contact", "contact")


def ask_phone(ctx: HandlerContext, draft: Draft) -> Reply:
    buttons = [[_b("anonymous", "contact:anon")], nav_row()]
    return Reply(replies.render("report_phone"), buttons=buttons, request_contact=True)


def on_phone(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if arg == "contact:anon":
        return _set_phone(ctx, draft, None)
    number = _phone_in(msg) if arg is None else None
    if number is None:
        return retry(ctx, draft, "phone", "phone")
    return _set_phone(ctx, draft, number)


def _phone_in(msg: IncomingMessage) -> str | None:
    for text in (msg.contact_phone or "", msg.text):
        if text and text.strip().lstrip("+").isdigit() and not text.strip().startswith(("0", "+")):
            text = "+" + text.strip()  # platforms send contacts as 84912345678
        phones = [e.value for e in extract(text) if e.kind == "phone"] if text else []
        if phones:
            return phones[0]
    return None


def _set_phone(ctx: HandlerContext, draft: Draft, number: str | None) -> list[Reply]:
    assert ctx.cipher is not None
    if number is None:
        draft.pop("phone", None)
        draft.pop("contact_consent_at", None)
    else:
        draft["phone"] = ctx.cipher.encrypt(number)
        draft["contact_consent_at"] = ctx.now.isoformat()
    return advance(ctx, draft, "contact")


# summary and submit -------------------------------------------------------------------------


def ask_confirm(ctx: HandlerContext, draft: Draft) -> Reply:
    unit = tips.route_unit(ctx.session, draft.get("province"), draft.get("ward"))
    story = drafts.story(ctx, draft)
    text = replies.render(
        "report_confirm",
        modus=modus_title(ctx.library, draft.get("modus")),
        story=story if len(story) <= 600 else story[:600] + "…",
        occurred_on=drafts.occurred_on(draft),
        amount=draft.get("amount"),
        entities=[
            display_phone(e["value"]) if e["kind"] == "phone" else e["value"] for e in draft["entities"]
        ],
        evidence=len(draft["evidence"]),
        place=place_name(draft.get("province"), draft.get("ward")),
        unit=unit.name if unit else None,
        phone=display_phone(drafts.phone(ctx, draft) or "") or None,
    )
    buttons = [[_b("submit", "submit")], [_b("edit", "edit")], nav_row()]
    return Reply(text, buttons=buttons)


def on_confirm(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    if arg == "submit" or (arg is None and fold(msg.text).strip(" .!") in SEND_WORDS):
        return submit(ctx, draft)
    if arg == "edit":
        rows = [[Button(replies.label(f"edit_{step}"), f"{PREFIX}:goto:{step}")] for step in EDITABLE]
        return [Reply(replies.render("report_edit"), buttons=[*rows, nav_row()])]
    if arg and arg.startswith("goto:") and arg[5:] in EDITABLE:
        draft["editing"] = True
        return question(ctx, draft, arg[5:])
    return retry(ctx, draft, "confirm", "confirm")


def submit(ctx: HandlerContext, draft: Draft) -> list[Reply]:
    assert ctx.cipher is not None
    if not draft.get("consent_at"):
        return question(ctx, draft, "consent")
    tip = tips.submit_tip(
        ctx.session,
        cipher=ctx.cipher,
        draft=drafts.to_tip_draft(ctx, draft),
        notify=officer_new_tip(ctx.library, ctx.report.console_url),
        now=ctx.now,
    )
    ctx.state.data.pop(drafts.KEY, None)  # the files now belong to the tip: keep them
    ctx.state.goto(None)
    unit = tips.get_unit(ctx.session, tip.unit_id)
    text = replies.render(
        "report_submitted",
        code=tips.format_code(tip.code),
        unit=unit.name if unit else None,
        anonymous=tip.anonymous,
    )
    buttons = [
        [Button(replies.label("status"), f"status:{tip.code}")],
        [Button(replies.label("emergency"), "guide:after-scam")],
        [Button(replies.label("menu"), "menu")],
    ]
    return [Reply(text, buttons=buttons)]


for _name, _ask, _on in (
    ("province", ask_province, on_province),
    ("ward", ask_ward, on_ward),
    ("contact", ask_contact, on_contact),
    ("phone", ask_phone, on_phone),
    ("confirm", ask_confirm, on_confirm),
):
    ASKERS[_name] = _ask
    ANSWERS[_name] = _on
