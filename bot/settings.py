"""All configuration, read once from CANHGIAC_* variables (and an optional .env), then passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    webchat: bool = Field(True, description="Serve the local web chat at /.")
    console: bool = Field(True, description="Serve the officers' console at /console.")
    console_session_hours: int = Field(
        12, ge=1, le=72, description="An officer's console session ends this many hours after login."
    )
    console_idle_minutes: int = Field(
        60, ge=5, le=24 * 60, description="A console session ends after this many minutes without a request."
    )

    telegram_token: SecretStr | None = Field(None, description="Telegram bot token from @BotFather.")
    telegram_api_url: str = Field(
        "https://api.telegram.org", description="Bot API server (self-hosted or a test server)."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token."
    )

    zalo_app_id: str | None = Field(None, description="Zalo app id (OA API).")
    zalo_app_secret: SecretStr | None = Field(None, description="Zalo app secret key.")
    zalo_oa_secret_key: SecretStr | None = Field(
        None, description="OA secret key used to verify webhook signatures."
    )
    zalo_api_url: str = Field("https://openapi.zalo.me", description="Zalo OA API base address.")
    zalo_oauth_url: str = Field("https://oauth.zaloapp.com", description="Zalo OAuth base address.")
    zalo_bot_token: SecretStr | None = Field(None, description="Zalo Bot API token.")
    zalo_bot_api_url: str = Field("https://bot-api.zaloplatforms.com", description="Zalo Bot API base.")

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            raise ValueError("CANHGIAC_PUBLIC_URL must start with https://")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'canhgiac.db').resolve()}"

    @property
    def is_embedded(self) -> bool:
        return self.database_url is None


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
