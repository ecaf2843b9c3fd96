"""Browsing the library: lists of cards, one card, the emergency guide."""

from __future__ import annotations

from content import replies
from content.messages import Button, Reply
from handlers.check import menu_button
from handlers.context import HandlerContext

PAGE_SIZE = 8
EMERGENCY_GUIDE = "after-scam"


def list_cards(ctx: HandlerContext, arg: str = "") -> list[Reply]:
    cards = ctx.library.browsing_order()
    pages = max(1, -(-len(cards) // PAGE_SIZE))
    page = min(max(int(arg) if arg.isdigit() else 1, 1), pages)
    chunk = cards[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    rows = [[Button(card.title, f"card:{card.id}")] for card in chunk]
    nav: list[Button] = []
    if page > 1:
        nav.append(Button(replies.label("back"), f"lib:{page - 1}"))
    if page < pages:
        nav.append(Button(replies.label("more"), f"lib:{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append([Button(replies.label("guides"), "guides")])
    rows.append([menu_button()])
    return [Reply(replies.render("library_list", page=page, pages=pages), buttons=rows)]


def list_guides(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    rows = [[Button(card.title, f"card:{card.id}")] for card in ctx.library.guides()]
    rows.append([Button(replies.label("library"), "lib:1")])
    rows.append([menu_button()])
    return [Reply(replies.render("library_list", page=1, pages=1), buttons=rows)]


def show_card(ctx: HandlerContext, card_id: str) -> list[Reply]:
    card = ctx.library.get(card_id)
    if card is None:
        return list_cards(ctx)
    rows: list[list[Button]] = []
    if card.kind == "modus":
        rows.append([Button(replies.label("report"), f"report:modus:{card.id}")])
        rows.append([Button(replies.label("emergency"), f"card:{EMERGENCY_GUIDE}")])
    rows.append([Button(replies.label("library"), "lib:1"), menu_button()])
    return [Reply(replies.render("card", card=card), buttons=rows)]


def emergency(ctx: HandlerContext, _arg: str = "") -> list[Reply]:
    return show_card(ctx, EMERGENCY_GUIDE)
