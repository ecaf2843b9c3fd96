"""All configuration, read once from CANHGIAC_* variables (and an optional .env), then passed down."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """A setting is missing or wrong; the CLI prints it and exits without a traceback."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CANHGIAC_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    data_dir: Path = Field(Path("data"), description="Folder for the embedded database and files.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default SQLite in the data folder. PostgreSQL in production.",
    )
    redis_url: str | None = Field(
        None, description="Redis URL, for shared rate limits and locks when several processes run."
    )
    library_dir: Path | None = Field(
        None, description="Folder of the content library cards; default: the cards shipped with the bot."
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, description="Port the web server listens on.")
    public_url: str | None = Field(
        None, description="Public HTTPS address of this server; with it, platforms use webhooks."
    )
    log_level: str = Field("INFO", description="Logging level.")
    run_worker: bool = Field(True, description="Run the outbox worker inside `canhgiac serve`.")
    webchat: bool | None = Field(
        None,
        description="Serve the local web chat at /; default: on, except when PUBLIC_URL is set "
        "(a public server offers it only when this is set to true).",
    )
    console: bool = Field(True, description="Serve the officers' console at /console.")
    console_session_hours: int = Field(
        12, ge=1, le=72, description="An officer's console session ends this many hours after login."
    )
    console_idle_minutes: int = Field(
        60, ge=5, le=24 * 60, description="A console session ends after this many minutes without a request."
    )

    console_login_hashes: int = Field(
        1,
        ge=1,
        le=16,
        description="Console password checks computed at once (64 MiB of memory each); more "
        "logins at the same moment wait up to 3 s for their turn, then are asked to try again (429).",
    )

    telegram_token: SecretStr | None = Field(None, description="Telegram bot token from @BotFather.")
    telegram_api_url: str = Field(
        "https://api.telegram.org", description="Bot API server (self-hosted or a test server)."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1–256 of A-Z a-z 0-9 _ -).",
    )
    telegram_rate_limit: float = Field(
        25.0,
        description="Queued Telegram messages (notifications, alerts) per second, for all processes "
        "together when Redis is configured; replies to residents come on top. 0 turns the limit off.",
    )

    zalo_app_id: str | None = Field(None, description="Zalo app id (OA API).")
    zalo_app_secret: SecretStr | None = Field(None, description="Zalo app secret key.")
    zalo_oa_secret_key: SecretStr | None = Field(
        None, description="OA secret key used to verify webhook signatures."
    )
    zalo_oa_id: str | None = Field(
        None, description="Official Account id; only needed for the 'oa_id' signature variant."
    )
    zalo_api_url: str = Field("https://openapi.zalo.me", description="Zalo OA API base address.")
    zalo_oauth_url: str = Field("https://oauth.zaloapp.com", description="Zalo OAuth base address.")
    zalo_redirect_uri: str | None = Field(
        None,
        description="OAuth callback registered in the Zalo app; default PUBLIC_URL + /zalo/oauth.",
    )
    zalo_signature_variants: str = Field(
        "app_id+oa_secret_key",
        description="Webhook signature inputs to accept, comma-separated, or 'auto' for every known one.",
    )
    zalo_timeout: float = Field(10.0, description="Seconds before a Zalo API call times out.")
    zalo_retry_base_delay: float = Field(
        1.0, description="First back-off delay in seconds after a Zalo rate limit or server error."
    )
    zalo_bot_token: SecretStr | None = Field(None, description="Zalo Bot API token.")
    zalo_bot_api_url: str = Field("https://bot-api.zaloplatforms.com", description="Zalo Bot API base.")
    zalo_bot_webhook_secret: SecretStr | None = Field(
        None, description="Secret (8-256 chars) the Zalo Bot API sends in X-Bot-Api-Secret-Token."
    )

    telegram_chat_gap: float = Field(
        1.0, description="Seconds between two queued messages to the same Telegram chat."
    )
    burst_seconds: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Forwarded texts, or one album's files, sent this close are handled together (0: off).",
    )
    zalo_rate_per_minute: float = Field(
        4000.0, description="Zalo API requests per minute for queued messages (0: no limit)."
    )
    alert_approval: bool = Field(
        False, description="An alert needs a second officer's approval before it is sent."
    )
    outbox_batch: int = Field(50, description="Rows a worker claims at a time.")
    outbox_concurrency: int = Field(16, description="Messages a worker sends at the same time.")
    outbox_lease: float = Field(
        30.0,
        description="Seconds after which rows claimed by a worker that stopped (crashed) are "
        "handed to another; a live worker renews its lease.",
    )
    prometheus_multiproc_dir: str | None = Field(
        None,
        validation_alias=AliasChoices("prometheus_multiproc_dir", "PROMETHEUS_MULTIPROC_DIR"),
        description="prometheus-client's own variable (no CANHGIAC_ prefix): an empty folder shared by "
        "the processes of a machine, so /metrics of any of them reports all of them.",
    )
    log_format: str = Field(
        "text", pattern="^(text|json)$", description="`json`: one JSON object per log line (for collectors)."
    )
    inbox_lease: float = Field(
        20.0,
        gt=0,
        description="With several serving processes (PostgreSQL): seconds after which the pending "
        "updates of a process that stopped (crashed) are taken over by another; a live process "
        "renews its claims every third of it.",
    )
    secret_keys: SecretStr | None = Field(
        None,
        description=(
            "Comma-separated Fernet keys that encrypt personal data at rest; the first encrypts, all"
            " decrypt. Required with PostgreSQL; the embedded default generates one into the data"
            " folder. Rotation: docs/personal-data.md."
        ),
    )
    evidence_dir: Path | None = Field(
        None, description="Folder for reporters' evidence files; default `evidence` in the data folder."
    )
    evidence_s3_url: str | None = Field(
        None,
        description="S3-compatible object storage address for evidence (path-style); unset: local folder.",
    )
    evidence_s3_bucket: str | None = Field(None, description="Bucket for evidence files.")
    evidence_s3_region: str = Field("us-east-1", description="Region the object storage signs with.")
    evidence_s3_access_key: str | None = Field(None, description="Access key id for the object storage.")
    evidence_s3_secret_key: SecretStr | None = Field(None, description="Secret key for the object storage.")
    evidence_max_bytes: int = Field(10_000_000, description="Largest evidence file accepted, in bytes.")
    evidence_max_files: int = Field(10, description="Most evidence files one tip may carry.")
    read_pictures: bool = Field(
        True,
        description="Read the text and QR codes of screenshots residents send and check them "
        "(needs Debian's tesseract-ocr-vie; without it pictures are not read).",
    )
    picture_readers: int = Field(
        2, ge=1, le=8, description="Pictures read at the same time at most (each holds a model and an image)."
    )
    draft_remind_hours: int = Field(
        24, description="Hours after which an abandoned report draft gets one reminder."
    )
    draft_expire_days: int = Field(7, description="Days after which an abandoned report draft is deleted.")
    retention_days: int = Field(
        730,
        description="Days after a tip is closed before its personal data (story, contact, files) is erased.",
    )
    login_record_days: int = Field(
        90,
        ge=1,
        description="Days the audit log keeps the network address and the typed name of a console "
        "login; after that the entry stays without them.",
    )
    inbox_keep_days: int = Field(
        7,
        ge=1,
        description="Days a handled platform update's id is kept to drop a repeat of it (its content "
        "is cleared once handled); must exceed ZALO_EVENT_MAX_AGE_HOURS.",
    )
    zalo_event_max_age_hours: float = Field(
        24.0,
        gt=0,
        description="A signed Zalo event older than this by its own timestamp is ignored (replays; "
        "Zalo's own retries end within a few hours).",
    )
    maintenance_interval_seconds: int = Field(
        600, description="How often the draft reminder, draft expiry and retention jobs run."
    )

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            raise ValueError("CANHGIAC_PUBLIC_URL must start with https://")
        tg_secret = self.telegram_webhook_secret
        if tg_secret is not None and not _TELEGRAM_SECRET.fullmatch(tg_secret.get_secret_value()):
            raise ValueError("CANHGIAC_TELEGRAM_WEBHOOK_SECRET: 1–256 characters of A-Z a-z 0-9 _ -")
        if self.evidence_s3_url and not (
            self.evidence_s3_bucket and self.evidence_s3_access_key and self.evidence_s3_secret_key
        ):
            raise ValueError(
                "CANHGIAC_EVIDENCE_S3_URL needs CANHGIAC_EVIDENCE_S3_BUCKET, _ACCESS_KEY and _SECRET_KEY"
            )
        if self.draft_expire_days < 1 or self.retention_days < 1 or self.evidence_max_bytes < 1:
            raise ValueError("draft_expire_days, retention_days and evidence_max_bytes must be positive")
        if self.zalo_event_max_age_hours >= self.inbox_keep_days * 24:
            raise ValueError(
                "CANHGIAC_ZALO_EVENT_MAX_AGE_HOURS must be shorter than CANHGIAC_INBOX_KEEP_DAYS: an event "
                "old enough to have left the inbox would be taken again"
            )
        secret = self.zalo_bot_webhook_secret
        if secret is not None and not 8 <= len(secret.get_secret_value()) <= 256:
            raise ValueError("CANHGIAC_ZALO_BOT_WEBHOOK_SECRET must be 8 to 256 characters")
        return self

    @property
    def webchat_enabled(self) -> bool:
        return self.webchat if self.webchat is not None else not self.public_url

    @property
    def zalo_oa_configured(self) -> bool:
        return bool(self.zalo_app_id and self.zalo_app_secret and self.zalo_oa_secret_key)

    @property
    def zalo_bot_configured(self) -> bool:
        return self.zalo_bot_token is not None

    @property
    def effective_zalo_redirect_uri(self) -> str | None:
        if self.zalo_redirect_uri:
            return self.zalo_redirect_uri
        return f"{self.public_url.rstrip('/')}/zalo/oauth" if self.public_url else None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'canhgiac.db').resolve()}"

    @property
    def is_embedded(self) -> bool:
        return self.database_url is None

    @property
    def uses_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def effective_evidence_dir(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; a bad value becomes a ConfigError naming the variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"CANHGIAC_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(problems) from exc
