"""All tables; importing this module registers every table on `SQLModel.metadata`."""

from storage.models.alerts import Alert, Subscription
from storage.models.base import utcnow
from storage.models.campaign import Campaign, CampaignActivity, Hamlet, Organisation
from storage.models.console import ConsoleSession, LoginFailure
from storage.models.core import AuditEntry, DialogState, User
from storage.models.inbox import InboxUpdate
from storage.models.outbox import OutboxMessage
from storage.models.registry import RegistryEntity
from storage.models.tips import Tip, TipEntity, TipEvent, TipEvidence
from storage.models.units import LinkCode, Officer, OfficerLink, Unit, UnitChat
from storage.models.zalo import ZaloToken

__all__ = [
    "Alert",
    "AuditEntry",
    "Campaign",
    "CampaignActivity",
    "ConsoleSession",
    "DialogState",
    "Hamlet",
    "InboxUpdate",
    "LinkCode",
    "LoginFailure",
    "Officer",
    "OfficerLink",
    "Organisation",
    "OutboxMessage",
    "RegistryEntity",
    "Subscription",
    "Tip",
    "TipEntity",
    "TipEvent",
    "TipEvidence",
    "Unit",
    "UnitChat",
    "User",
    "ZaloToken",
    "utcnow",
]
