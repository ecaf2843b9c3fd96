"""Subscribing to a commune's alerts: province, then commune/ward, by typed name; change; stop.

Names are matched by content.places (with or without diacritics, old names as aliases);
when a name could mean several places the resident picks one: we ask, never guess.
A Zalo `follow` arrives as the payload `follow` and offers to subscribe; a Zalo unfollow,
a Telegram block or a 403 reach the `on_unreachable` hooks, which end the subscription
(bot.runtime.end_subscriptions_hook).
"""

from __future__ import annotations

from content import places, replies
from content.messages import Button, Reply
from handlers.check import menu_button
from handlers.context import HandlerContext
from handlers.menu import show_menu
from handlers.messages import IncomingMessage
from storage import subscriptions
from storage.campaign.hamlets import public_hamlets
from storage.models import Hamlet

STEP_PROVINCE = "sub.province"
STEP_WARD = "sub.ward"
STEP_HAMLET = "sub.hamlet"
MAX_CHOICES = 6
# A commune with this many hamlets or fewer lists them as buttons; more, and the resident types.
MAX_HAMLET_BUTTONS = 8


def show(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    """/canhbao and the menu button: the current subscription, or start subscribing."""
    sub = subscriptions.current(ctx.session, channel=ctx.channel, user_key=ctx.user_key)
    if sub is None:
        return _ask_province(ctx)
    ctx.state.goto(None)
    rows = [
        [Button(replies.label("sub_change"), "sub:change")],
        [Button(replies.label("sub_stop"), "unsub")],
        [menu_button()],
    ]
    return [Reply(replies.render("sub_status", place=_place_name(sub.ward_code)), buttons=rows)]


def unsubscribe(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    """/huycanhbao: stop at once (no confirmation; subscribing again is one tap)."""
    ctx.state.goto(None)
    ended = subscriptions.unsubscribe(ctx.session, channel=ctx.channel, user_key=ctx.user_key)
    place = _place_name(ended.ward_code) if ended else None
    rows = [[Button(replies.label("sub_again"), "alerts")], [menu_button()]]
    return [Reply(replies.render("unsub_done", place=place), buttons=rows)]


def action(ctx: HandlerContext, arg: str) -> list[Reply]:
    """Buttons of the flow: `sub:change`, `sub:p:<province>`, `sub:w:<ward>`, `sub:province`,
    `sub:h:<hamlet>`, `sub:skiph`; and `sub:link:<ward>_<hamlet>` from a `/start` deep link."""
    kind, _, value = arg.partition(":")
    if kind == "h" and value.isdigit():
        return _choose_hamlet(ctx, int(value))
    if kind == "skiph":
        return _hamlet_done(ctx, None)
    if kind == "link":
        return _deep_link(ctx, value)
    if kind in ("change", "province"):
        return _ask_province(ctx)
    if kind == "p" and value.isdigit():
        province = places.province(int(value))
        if province is not None:
            return _ask_ward(ctx, province)
    if kind == "w" and value.isdigit():
        ward = places.ward(int(value))
        if ward is not None:
            return _subscribe(ctx, ward)
    return show(ctx)


def on_step(ctx: HandlerContext, msg: IncomingMessage) -> list[Reply]:
    if msg.payload == "cancel":
        return show_menu(ctx)
    if ctx.state.step == STEP_HAMLET:
        if msg.payload == "back":
            return _hamlet_done(ctx, None)
        return _on_hamlet_text(ctx, msg.text)
    if ctx.state.step == STEP_WARD:
        if msg.payload == "back":
            return _ask_province(ctx)
        return _on_ward_text(ctx, msg.text)
    if msg.payload == "back":
        return show_menu(ctx)
    return _on_province_text(ctx, msg.text)


def on_follow(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    """A new follower (Zalo): welcome, and offer alerts unless already subscribed."""
    rows: list[list[Button]] = []
    if subscriptions.current(ctx.session, channel=ctx.channel, user_key=ctx.user_key) is None:
        rows.append([Button(replies.label("alerts"), "alerts")])
    rows.append([Button(replies.label("check"), "check")])
    rows.append([menu_button()])
    return [Reply(replies.render("follow_welcome"), buttons=rows)]


def _ask_province(ctx: HandlerContext) -> list[Reply]:
    ctx.state.goto(STEP_PROVINCE)
    ctx.state.data.pop("sub_province", None)
    return [Reply(replies.render("sub_intro"), buttons=[[menu_button()]])]


def _on_province_text(ctx: HandlerContext, text: str) -> list[Reply]:
    typed = text.strip()[:80]
    found = places.match_province(typed) if typed else []
    if len(found) == 1:
        return _ask_ward(ctx, found[0], typed=typed)
    rows = [[Button(p.province_name, f"sub:p:{p.province_code}")] for p in found[:MAX_CHOICES]]
    rows.append([menu_button()])
    return [Reply(replies.render("sub_province_pick", typed=typed, candidates=bool(found)), buttons=rows)]


def _ask_ward(ctx: HandlerContext, province: places.Place, *, typed: str = "") -> list[Reply]:
    ctx.state.goto(STEP_WARD)
    ctx.state.data["sub_province"] = province.province_code
    understood = typed if typed and not _names_match(typed, province.province_name) else None
    text = replies.render("sub_ask_ward", province=province.province_name, understood=understood)
    rows = [[Button(replies.label("sub_other_province"), "sub:province")], [menu_button()]]
    return [Reply(text, buttons=rows)]


def _on_ward_text(ctx: HandlerContext, text: str) -> list[Reply]:
    province = places.province(int(ctx.state.data.get("sub_province") or 0))
    if province is None:
        return _ask_province(ctx)
    typed = text.strip()[:80]
    found = places.match_ward(province.province_code, typed) if typed else []
    if len(found) == 1 and _names_match(typed, found[0].ward_name or ""):
        return _subscribe(ctx, found[0])
    rows: list[list[Button]] = []
    confirm = None
    if len(found) == 1:  # a close spelling: ask before subscribing
        confirm = found[0].ward_name
        rows.append([Button(replies.label("sub_yes"), f"sub:w:{found[0].ward_code}")])
        rows.append([Button(replies.label("sub_retype"), f"sub:p:{province.province_code}")])
    else:
        rows.extend([[Button(w.ward_name or "", f"sub:w:{w.ward_code}")] for w in found[:MAX_CHOICES]])
    rows.append([Button(replies.label("sub_other_province"), "sub:province")])
    rows.append([menu_button()])
    body = replies.render(
        "sub_ward_pick",
        typed=typed,
        province=province.province_name,
        candidates=bool(found),
        confirm=confirm,
    )
    return [Reply(body, buttons=rows)]


def _subscribe(ctx: HandlerContext, ward: places.Place) -> list[Reply]:
    previous = subscriptions.current(ctx.session, channel=ctx.channel, user_key=ctx.user_key)
    previous_name = (
        _place_name(previous.ward_code) if previous and previous.ward_code != ward.ward_code else None
    )
    subscriptions.subscribe(
        ctx.session,
        channel=ctx.channel,
        user_key=ctx.user_key,
        province_code=ward.province_code,
        ward_code=int(ward.ward_code or 0),
        now=ctx.now,
    )
    ctx.state.goto(None)
    ctx.state.data.pop("sub_province", None)
    done = replies.render("sub_done", place=ward.full_name, previous=previous_name)
    hamlets = public_hamlets(ctx.session, int(ward.ward_code or 0))
    if hamlets:  # the next question: which hamlet (skippable), so reach can be counted per hamlet
        return [Reply(done), _ask_hamlet(ctx, ward, hamlets)]
    rows = [[Button(replies.label("check"), "check")], [menu_button()]]
    return [Reply(done, buttons=rows)]


def _ask_hamlet(
    ctx: HandlerContext,
    ward: places.Place,
    hamlets: list[Hamlet],
    *,
    typed: str = "",
    found: list[Hamlet] | None = None,
) -> Reply:
    ctx.state.goto(STEP_HAMLET)
    ctx.state.data["sub_ward"] = ward.ward_code
    shown = found if found is not None else (hamlets if len(hamlets) <= MAX_HAMLET_BUTTONS else [])
    rows = [[Button(h.name, f"sub:h:{h.id}")] for h in shown[:MAX_HAMLET_BUTTONS]]
    rows.append([Button(replies.label("skip"), "sub:skiph")])
    text = replies.render(
        "sub_ask_hamlet",
        place=ward.ward_name,
        listed=bool(shown),
        retry=found is not None,
        typed=typed,
        candidates=bool(found),
    )
    return Reply(text, buttons=rows)


def _on_hamlet_text(ctx: HandlerContext, text: str) -> list[Reply]:
    ward = places.ward(int(ctx.state.data.get("sub_ward") or 0))
    if ward is None:
        return show(ctx)
    typed = text.strip()[:80]
    hamlets = public_hamlets(ctx.session, int(ward.ward_code or 0))
    wanted = places.fold(typed)
    exact = [h for h in hamlets if places.fold(h.name) == wanted]
    found = exact or [h for h in hamlets if wanted and wanted in places.fold(h.name)]
    if len(found) == 1 and found[0].id is not None:
        return _choose_hamlet(ctx, found[0].id)
    return [_ask_hamlet(ctx, ward, hamlets, typed=typed, found=found)]


def _choose_hamlet(ctx: HandlerContext, hamlet_id: int) -> list[Reply]:
    """Record the hamlet on the resident's subscription (it must be a hamlet of that commune)."""
    sub = subscriptions.current(ctx.session, channel=ctx.channel, user_key=ctx.user_key)
    hamlet = ctx.session.get(Hamlet, hamlet_id)
    if sub is None or hamlet is None or hamlet.ward_code != sub.ward_code or not hamlet.active:
        return show(ctx)
    subscriptions.subscribe(
        ctx.session,
        channel=ctx.channel,
        user_key=ctx.user_key,
        province_code=sub.province_code,
        ward_code=sub.ward_code,
        hamlet_id=hamlet_id,
        now=ctx.now,
    )
    return _hamlet_done(ctx, hamlet)


def _hamlet_done(ctx: HandlerContext, hamlet: Hamlet | None) -> list[Reply]:
    ctx.state.goto(None)
    ctx.state.data.pop("sub_ward", None)
    sub = subscriptions.current(ctx.session, channel=ctx.channel, user_key=ctx.user_key)
    place = _place_name(sub.ward_code) if sub else ""
    rows = [[Button(replies.label("check"), "check")], [menu_button()]]
    text = replies.render("sub_hamlet_done", hamlet=hamlet.name if hamlet else None, place=place)
    return [Reply(text, buttons=rows)]


def _deep_link(ctx: HandlerContext, value: str) -> list[Reply]:
    """`/start sub_<ward>_<hamlet>` (a printed QR code): subscribe straight to that hamlet.
    A link naming no known hamlet of that commune falls back to the commune, then asks."""
    ward_text, _, hamlet_text = value.partition("_")
    ward = places.ward(int(ward_text)) if ward_text.isdigit() and len(ward_text) < 9 else None
    if ward is None or ward.ward_code is None:
        return _ask_province(ctx)
    hamlet = (
        ctx.session.get(Hamlet, int(hamlet_text)) if hamlet_text.isdigit() and len(hamlet_text) < 10 else None
    )
    if hamlet is None or hamlet.ward_code != ward.ward_code or not hamlet.active:
        return _subscribe(ctx, ward)
    previous = subscriptions.current(ctx.session, channel=ctx.channel, user_key=ctx.user_key)
    previous_name = (
        _place_name(previous.ward_code) if previous and previous.ward_code != ward.ward_code else None
    )
    subscriptions.subscribe(
        ctx.session,
        channel=ctx.channel,
        user_key=ctx.user_key,
        province_code=ward.province_code,
        ward_code=ward.ward_code,
        hamlet_id=hamlet.id,
        now=ctx.now,
    )
    ctx.state.goto(None)
    done = replies.render("sub_done", place=f"{hamlet.name}, {ward.full_name}", previous=previous_name)
    return [Reply(done, buttons=[[Button(replies.label("check"), "check")], [menu_button()]])]


def _place_name(ward_code: int) -> str:
    ward = places.ward(ward_code)
    return ward.full_name if ward else str(ward_code)


def _names_match(typed: str, official: str) -> bool:
    """True when the typed name is the official one, give or take a prefix (xã, p., tỉnh, TP)."""
    words = places.fold(typed).split()
    official_f = places.fold(official)
    if not words:
        return False
    bare = {official_f}
    for prefix in _OFFICIAL_PREFIXES:
        if official_f.startswith(prefix):
            bare.add(official_f[len(prefix) :])
    return any(" ".join(words[i:]) in bare for i in range(min(3, len(words))))


_OFFICIAL_PREFIXES = ("thanh pho ", "tinh ", "phuong ", "xa ", "dac khu ", "thi tran ")
