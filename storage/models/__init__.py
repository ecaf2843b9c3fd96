"""All tables; importing this module registers every table on `SQLModel.metadata`."""

from storage.models.base import utcnow
from storage.models.core import AuditEntry, DialogState, User
from storage.models.inbox import InboxUpdate
from storage.models.outbox import OutboxMessage
from storage.models.registry import RegistryEntity

__all__ = [
    "AuditEntry",
    "DialogState",
    "InboxUpdate",
    "OutboxMessage",
    "RegistryEntity",
    "User",
    "utcnow",
]
