"""`/phatcanhbao`: an officer whose chat account is linked sends an alert from chat.

The same operations as the console (storage.alerts): the audience is limited to the
officer's units, approval by a second officer applies when the deployment asks for
it. Steps: content (a library card or own text) → audience (a province officer types
communes or picks the whole province; a commune officer's is their commune) → preview
→ send. Administrators, who have no unit, use the console.
"""

from __future__ import annotations

from typing import Any

from content import places, replies
from content.alerts import AlertTextError, compose_alert
from content.messages import Button, Reply
from handlers.check import menu_button
from handlers.context import HandlerContext
from handlers.menu import show_menu
from handlers.messages import IncomingMessage
from storage import alerts, officer_links, subscriptions, units
from storage.alerts import AlertError, Audience
from storage.models import Officer

STEP_CONTENT = "bc.content"
STEP_AUDIENCE = "bc.audience"
STEP_CONFIRM = "bc.confirm"
CARD_CHOICES = 6
MAX_WARDS = 20


def start(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    officer = _officer(ctx)
    if officer is None:
        ctx.state.goto(None)
        return _say(ctx, "not_officer")
    scope = alerts.officer_scope(ctx.session, officer)
    if scope.everywhere or not (scope.provinces or scope.wards):
        ctx.state.goto(None)
        return _say(ctx, "use_console")
    ctx.state.goto(STEP_CONTENT)
    ctx.state.data["bc"] = {}
    rows = [[Button(c.title, f"bc:card:{c.id}")] for c in ctx.library.browsing_order()[:CARD_CHOICES]]
    rows.append([Button(replies.label("cancel"), "cancel")])
    return [Reply(replies.render("bc_prompt", step="content"), buttons=rows)]


def action(ctx: HandlerContext, arg: str) -> list[Reply]:
    """Buttons: `bc:card:<id>`, `bc:all` (whole province), `bc:send`."""
    officer = _officer(ctx)
    draft: dict[str, Any] = ctx.state.data.setdefault("bc", {})
    if officer is None or ctx.state.step is None or not ctx.state.step.startswith("bc."):
        return start(ctx)
    kind, _, value = arg.partition(":")
    if kind == "card" and ctx.library.get(value) is not None:
        draft.update(card_id=value, body="")
        return _after_content(ctx, officer, draft)
    if kind == "all" and ctx.state.step == STEP_AUDIENCE:
        province = _own_province(ctx, officer)
        if province is not None:
            draft.update(province=province, wards=[], whole=True)
            return _confirm(ctx, officer, draft)
    if kind == "send" and ctx.state.step == STEP_CONFIRM:
        return _send(ctx, officer, draft)
    return start(ctx)


def on_step(ctx: HandlerContext, msg: IncomingMessage) -> list[Reply]:
    if msg.payload in ("cancel", "back"):
        ctx.state.data.pop("bc", None)
        return show_menu(ctx)
    officer = _officer(ctx)
    if officer is None:
        return start(ctx)
    draft: dict[str, Any] = ctx.state.data.setdefault("bc", {})
    if ctx.state.step == STEP_CONTENT:
        lines = [line for line in msg.text.strip().splitlines() if line.strip()]
        if len(lines) > 1 and len(lines[0]) <= 120:  # the first line reads as the title
            title, body = lines[0].strip(), "\n".join(lines[1:])
        else:
            title, body = replies.label("bc_default_title"), "\n".join(lines)
        draft.update(card_id=None, body=body, title=title)
        try:
            compose_alert(title=title, body=body)
        except AlertTextError as exc:
            return _say(ctx, exc.code, keep=True)
        return _after_content(ctx, officer, draft)
    if ctx.state.step == STEP_AUDIENCE:
        return _on_audience_text(ctx, officer, draft, msg.text)
    return _confirm(ctx, officer, draft)


def _after_content(ctx: HandlerContext, officer: Officer, draft: dict[str, Any]) -> list[Reply]:
    scope = alerts.officer_scope(ctx.session, officer)
    if scope.wards and not scope.provinces:  # a commune officer: their commune
        (ward_code,) = sorted(scope.wards)[:1]
        ward = places.ward(ward_code)
        if ward is None:
            return _say(ctx, "use_console")
        draft.update(province=ward.province_code, wards=[ward_code], whole=False)
        return _confirm(ctx, officer, draft)
    ctx.state.goto(STEP_AUDIENCE)
    province = places.province(_own_province(ctx, officer) or 0)
    rows = [
        [Button(replies.label("bc_whole_province"), "bc:all")],
        [Button(replies.label("cancel"), "cancel")],
    ]
    name = province.province_name if province else ""
    return [Reply(replies.render("bc_prompt", step="audience", province=name), buttons=rows)]


def _on_audience_text(ctx: HandlerContext, officer: Officer, draft: dict[str, Any], text: str) -> list[Reply]:
    province_code = _own_province(ctx, officer)
    if province_code is None:
        return start(ctx)
    found: list[int] = []
    unclear: list[str] = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()][:MAX_WARDS]:
        matches = places.match_ward(province_code, part)
        if len(matches) == 1 and matches[0].ward_code is not None:
            found.append(matches[0].ward_code)
        else:
            unclear.append(part)  # none, or several: ask, never guess
    if unclear or not found:
        return _say(ctx, "unclear_wards", keep=True, names=unclear or [text.strip()[:80]])
    draft.update(province=province_code, wards=sorted(set(found)), whole=False)
    return _confirm(ctx, officer, draft)


def _confirm(ctx: HandlerContext, officer: Officer, draft: dict[str, Any]) -> list[Reply]:
    try:
        audience = alerts.check_audience(ctx.session, officer, _audience(draft))
    except AlertError as exc:
        return _say(ctx, exc.code, keep=True)
    ctx.state.goto(STEP_CONFIRM)
    channels = list(ctx.features.alert_channels)
    reach = subscriptions.count_active(
        ctx.session,
        province_code=audience.province_code,
        ward_codes=None if audience.whole_province else audience.ward_codes,
        channels=channels,
    )
    where = _where(audience)
    summary = replies.render(
        "bc_prompt", step="confirm", where=where, reach=reach, approval=ctx.features.alert_approval
    )
    rows = [
        [Button(replies.label("bc_send"), "bc:send")],
        [Button(replies.label("cancel"), "cancel")],
    ]
    preview = Reply(replies.render("bc_prompt", step="preview") + "\n\n" + _message(ctx, draft).text)
    return [preview, Reply(summary, buttons=rows)]


def _send(ctx: HandlerContext, officer: Officer, draft: dict[str, Any]) -> list[Reply]:
    try:
        alert = alerts.create_alert(
            ctx.session,
            officer=officer,
            title=_title(ctx, draft),
            replies=[_message(ctx, draft)],
            audience=_audience(draft),
            channels=list(ctx.features.alert_channels),
            card_id=draft.get("card_id"),
            body=draft.get("body") or "",
        )
        alerts.submit_alert(
            ctx.session,
            alert_id=int(alert.id or 0),
            officer=officer,
            require_approval=ctx.features.alert_approval,
            now=ctx.now,
        )
    except AlertError as exc:
        return _say(ctx, exc.code, keep=True)
    ctx.state.reset()
    status = "pending_approval" if alert.status == "pending_approval" else "scheduled"
    text = replies.render("bc_prompt", step=status, alert_id=alert.id)
    return [Reply(text, buttons=[[menu_button()]])]


def _message(ctx: HandlerContext, draft: dict[str, Any]) -> Reply:
    card = ctx.library.get(draft["card_id"]) if draft.get("card_id") else None
    officer = _officer(ctx)
    unit = units.get_unit(ctx.session, officer.unit_id) if officer and officer.unit_id else None
    sender = unit.name if unit is not None else ""
    return compose_alert(title=_title(ctx, draft), body=draft.get("body") or "", card=card, sender=sender)


def _title(ctx: HandlerContext, draft: dict[str, Any]) -> str:
    card = ctx.library.get(draft["card_id"]) if draft.get("card_id") else None
    return card.title if card is not None else str(draft.get("title") or "")


def _audience(draft: dict[str, Any]) -> Audience:
    return Audience(
        int(draft.get("province") or 0),
        tuple(int(w) for w in draft.get("wards") or ()),
        bool(draft.get("whole")),
    )


def _where(audience: Audience) -> str:
    province = places.province(audience.province_code)
    if audience.whole_province:
        return province.province_name if province else ""
    names = [w.ward_name for w in (places.ward(c) for c in audience.ward_codes) if w and w.ward_name]
    return ", ".join(names)


def _own_province(ctx: HandlerContext, officer: Officer) -> int | None:
    provinces = alerts.officer_scope(ctx.session, officer).provinces
    return min(provinces) if provinces else None


def _officer(ctx: HandlerContext) -> Officer | None:
    return officer_links.officer_for_chat(ctx.session, channel=ctx.channel, user_key=ctx.user_key)


def _say(ctx: HandlerContext, problem: str, *, keep: bool = False, **extra: Any) -> list[Reply]:
    if not keep:
        ctx.state.goto(None)
    rows = [[Button(replies.label("cancel"), "cancel")]] if keep else [[menu_button()]]
    return [Reply(replies.render("bc_problem", problem=problem, **extra), buttons=rows)]
