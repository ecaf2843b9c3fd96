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

STEP_PROVINCE = "sub.province"
STEP_WARD = "sub.ward"
MAX_CHOICES = 6


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
    """Buttons of the flow: `sub:change`, `sub:p:<province>`, `sub:w:<ward>`, `sub:province`."""
    kind, _, value = arg.partition(":")
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
    rows = [[Button(replies.label("check"), "check")], [menu_button()]]
    return [Reply(replies.render("sub_done", place=ward.full_name, previous=previous_name), buttons=rows)]


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
