"""The report dialog: entry points, navigation ("Quay lại", "Hủy", resume), the summary, submit.

Steps, in order: consent → modus → story → when → amount → entities → evidence →
province → ward → contact (→ phone) → confirm. Each step has an `ask` (the question)
and an `on` (the answer) in `steps.py` / `place.py`; an answer that does not fit gets a
short explanation and the same question again. Step names are persisted in dialog
state: treat them as a schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from content import replies
from content.messages import Button, Reply
from handlers.context import HandlerContext
from handlers.messages import IncomingMessage
from handlers.report import draft as drafts
from handlers.report.draft import Draft
from handlers.text import fold

PREFIX = "report"
ORDER = (
    "consent",
    "modus",
    "story",
    "when",
    "amount",
    "entities",
    "evidence",
    "province",
    "ward",
    "contact",
    "confirm",
)
# Steps outside ORDER and the step "back" leads to from them.
SUB_STEPS = {"phone": "contact", "resume": None}
FILE_STEPS = ("consent", "story", "evidence", "resume")
EDITABLE = ("modus", "story", "when", "amount", "entities", "evidence", "province", "contact")

Asker = Callable[[HandlerContext, Draft], Reply]
Answer = Callable[[HandlerContext, Draft, IncomingMessage, str | None], list[Reply]]
ASKERS: dict[str, Asker] = {}
ANSWERS: dict[str, Answer] = {}


def step_of(ctx: HandlerContext) -> str | None:
    step = ctx.state.step or ""
    return step.split(".", 1)[1] if step.startswith(PREFIX + ".") else None


def nav_row(*, back: bool = True) -> list[Button]:
    row = [Button(replies.label("back"), "back")] if back else []
    return [*row, Button(replies.label("cancel"), "cancel")]


def question(ctx: HandlerContext, draft: Draft, step: str, hint: str | None = None) -> list[Reply]:
    """Ask `step`'s question (after `hint`, when there is one) and wait for its answer there."""
    ctx.state.goto(f"{PREFIX}.{step}")
    if step != "resume":
        draft["step"] = step
    reply = ASKERS[step](ctx, draft)
    if hint:
        reply = replace(reply, text=f"{hint}\n\n{reply.text}")
    return [reply]


def retry(ctx: HandlerContext, draft: Draft, step: str, reason: str, **context: object) -> list[Reply]:
    """The answer does not fit: say why in a line, then the same question."""
    return question(ctx, draft, step, hint=replies.render("report_retry", reason=reason, **context))


def advance(ctx: HandlerContext, draft: Draft, step: str, hint: str | None = None) -> list[Reply]:
    """The next question; while editing from the summary, straight back to the summary."""
    if step == "phone":
        step = "contact"
    if draft.get("editing") and step != "province":
        draft.pop("editing", None)
        return question(ctx, draft, "confirm", hint)
    return question(ctx, draft, ORDER[ORDER.index(step) + 1], hint)


def action(ctx: HandlerContext, arg: str = "") -> list[Reply]:
    """`report…` payloads and /baocao: start, resume, or an answer given by a button."""
    from handlers import menu

    if not ctx.features.report or ctx.cipher is None:
        return menu.coming_soon(ctx, "report")
    draft = drafts.get(ctx)
    sub, _, rest = arg.partition(":")
    step = step_of(ctx)
    if sub == "discard":
        drafts.drop(ctx)
        ctx.state.goto(None)
        return [
            Reply(replies.render("report_cancelled", had_draft=draft is not None), buttons=_end_buttons())
        ]
    if sub == "restart":
        drafts.drop(ctx)
        draft = None
    elif draft is not None and sub == "continue":
        drafts.touch(ctx, draft)
        return question(ctx, draft, str(draft.get("step") or "consent"))
    elif draft is not None and step is not None and _is_answer(sub, step):
        msg = IncomingMessage(channel=ctx.channel, user_key=ctx.user_key, payload=f"{PREFIX}:{arg}")
        return on_step(ctx, msg)
    if draft is None and sub not in ("", "check", "modus", "restart"):
        # A button of a finished, cancelled or expired report ("Gửi" pressed twice, an old reminder).
        ctx.state.goto(None)
        return [Reply(replies.render("report_expired"), buttons=_end_buttons())]
    if draft is None:
        draft = drafts.new(ctx)
        _prefill(ctx, draft, sub, rest)
        return question(ctx, draft, "consent")
    _prefill(ctx, draft, sub, rest)
    return question(ctx, draft, "resume")


def _is_answer(sub: str, step: str) -> bool:
    """A button of the current question, rather than a fresh start from a menu or a card."""
    if sub in ("", "check", "continue"):
        return False
    return not (sub == "modus" and step != "modus")


def _prefill(ctx: HandlerContext, draft: Draft, sub: str, rest: str) -> None:
    if sub == "check":
        last = ctx.state.data.get("last_check") or {}
        if last.get("modus") and not draft.get("modus"):
            draft["modus_hint"] = last["modus"]
        drafts.add_entities(draft, list(last.get("entities") or []))
    elif sub == "modus" and ctx.library.get(rest) is not None and not draft.get("modus"):
        draft["modus_hint"] = rest


def on_step(ctx: HandlerContext, msg: IncomingMessage) -> list[Reply]:
    """Input while the dialog waits at a step (typed text, a file, a contact, a button)."""
    step = step_of(ctx) or "consent"
    draft = drafts.get(ctx)
    if draft is None or ctx.cipher is None:
        ctx.state.goto(None)
        return [Reply(replies.render("report_expired"), buttons=_end_buttons())]
    drafts.touch(ctx, draft)
    if msg.payload == "cancel":
        return cancel(ctx)
    if msg.payload == "back":
        return back(ctx, draft, step)
    arg = msg.payload[len(PREFIX) + 1 :] if msg.payload and msg.payload.startswith(PREFIX + ":") else None
    if msg.attachments and step not in FILE_STEPS and draft.get("consent_at"):
        # A picture sent at another question is evidence all the same; then the same question.
        from handlers.report.steps import evidence_note

        return question(ctx, draft, step, hint=evidence_note(ctx, draft, msg.attachments))
    return ANSWERS[step](ctx, draft, msg, arg)


def cancel(ctx: HandlerContext) -> list[Reply]:
    drafts.drop(ctx)
    ctx.state.goto(None)
    return [Reply(replies.render("report_cancelled", had_draft=True), buttons=_end_buttons())]


def back(ctx: HandlerContext, draft: Draft, step: str) -> list[Reply]:
    if step in SUB_STEPS:
        previous = SUB_STEPS[step]
    else:
        index = ORDER.index(step)
        previous = ORDER[index - 1] if index > 0 else None
    if previous is None:  # before the first question: leave, keeping the draft for later
        from handlers import menu

        return menu.show_menu(ctx)
    draft.pop("editing", None)
    return question(ctx, draft, previous)


def on_resume(ctx: HandlerContext, draft: Draft, msg: IncomingMessage, arg: str | None) -> list[Reply]:
    typed = fold(msg.text)
    if typed in ("tiep tuc", "tiep", "co"):
        return action(ctx, "continue")
    if typed in ("lam lai", "bat dau lai", "lam lai tu dau"):
        return action(ctx, "restart")
    return retry(ctx, draft, "resume", "buttons")


def ask_resume(ctx: HandlerContext, draft: Draft) -> Reply:
    buttons = [
        [Button(replies.label("report_continue"), f"{PREFIX}:continue")],
        [Button(replies.label("report_restart"), f"{PREFIX}:restart")],
        [Button(replies.label("report_discard"), f"{PREFIX}:discard")],
    ]
    return Reply(replies.render("report_resume", started=draft.get("started_at")), buttons=buttons)


def _end_buttons() -> list[list[Button]]:
    return [[Button(replies.label("report"), PREFIX)], [Button(replies.label("menu"), "menu")]]


DONE_WORDS = frozenset(
    {"xong", "da xong", "het", "het roi", "xong roi", "bo qua", "khong co", "khong", "tiep"}
)


def is_done_word(text: str) -> bool:
    return fold(text).strip(" .!") in DONE_WORDS


ASKERS["resume"] = ask_resume
ANSWERS["resume"] = on_resume
