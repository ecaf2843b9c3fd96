"""The encryption keys for personal data: from the setting, or generated for the embedded default."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bot.settings import ConfigError, Settings
from storage.crypto import Cipher

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"


def load_cipher(settings: Settings) -> Cipher:
    """`CANHGIAC_SECRET_KEYS`, else (SQLite only) a key file in the data folder, made on first start.

    A server database means production, where losing a generated key would lose every
    encrypted field: there the keys must be configured, and starting without them fails.
    """
    if settings.secret_keys is not None:
        try:
            return Cipher.from_setting(settings.secret_keys.get_secret_value())
        except ValueError as exc:
            raise ConfigError(f"CANHGIAC_SECRET_KEYS: {exc}") from exc
    if not settings.uses_sqlite:
        raise ConfigError(
            "CANHGIAC_SECRET_KEYS is required with a server database: it encrypts residents' personal"
            " data. Create one with `canhgiac secrets new` and keep a copy somewhere safe."
        )
    return Cipher([_key_file(settings.data_dir / KEY_FILE)])


def _key_file(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Cipher.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    log.warning(
        "generated an encryption key for personal data at %s (mode 0600); back it up with the"
        " database, without it encrypted fields cannot be read",
        path,
    )
    return key
