"""The report dialog (tin báo): consent, what happened, when, money, identifiers, evidence,
place, contact, summary, submit. Registered in `handlers.router` as action and step "report".
"""

from handlers.report import place, steps  # noqa: F401  (register the steps' questions and answers)
from handlers.report.flow import action, on_step

__all__ = ["action", "on_step"]
