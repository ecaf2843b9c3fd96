"""The content library and the pure scam-check engine.

Imports nothing of ours, does no I/O beyond reading its own data files, and never
touches a database or the network: registry look-ups are passed in by the caller.
"""

from content.check import Checker
from content.extract import extract
from content.normalize import clean, fold, normalize, tokens
from content.result import CheckResult, Entity, ModusScore, Reason, RegistryLookup, Verdict, no_registry

__all__ = [
    "CheckResult",
    "Checker",
    "Entity",
    "ModusScore",
    "Reason",
    "RegistryLookup",
    "Verdict",
    "clean",
    "extract",
    "fold",
    "no_registry",
    "normalize",
    "tokens",
]
