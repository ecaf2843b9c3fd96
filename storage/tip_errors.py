"""Errors of the tip operations; the console shows a short message per class."""

from __future__ import annotations


class TipError(Exception):
    """Base of the errors a triage operation raises."""


class TipNotFound(TipError):
    """No such tip, or one outside the officer's scope (the two look the same on purpose)."""


class NotPermitted(TipError):
    """The officer is inactive, or the assignee cannot see the tip."""


class StaleTip(TipError):
    """Someone changed the tip since the officer loaded it (`expected_version` differs)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"tip changed meanwhile (now version {current_version})")
        self.current_version = current_version


class TransitionNotAllowed(TipError):
    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"status {from_status} cannot become {to_status}")
        self.from_status = from_status
        self.to_status = to_status
