"""The `canhgiac` command."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from bot.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from aiogram import Bot

    from storage.registry import RegistryRow

T = TypeVar("T")

log = logging.getLogger("canhgiac")


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(f"cấu hình sai: {exc}") from exc


def _setup_logging(settings: Settings) -> None:
    from bot.logs import setup_logging

    setup_logging(settings.log_level, log_format=settings.log_format)


class _Cli(click.Group):
    """Turns a database that cannot be reached into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from sqlalchemy.exc import OperationalError

        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            log.debug("database error", exc_info=True)
            reason = str(exc.orig).splitlines()[0] if exc.orig else "không rõ lý do"
            raise click.ClickException(f"không kết nối được cơ sở dữ liệu: {reason}") from None


@click.group(cls=_Cli)
def main() -> None:
    """Cảnh Giác: trợ lý chống lừa đảo trực tuyến."""


@main.command()
@click.option("--host", default=None, help="Listen address (default from settings).")
@click.option("--port", default=None, type=int, help="Port (default from settings).")
def serve(host: str | None, port: int | None) -> None:
    """Start the web app, the local web chat, the channels and the worker in one process."""
    import uvicorn

    from bot.runtime import build_runtime
    from bot.web.app import create_app

    settings = _settings()
    _setup_logging(settings)
    try:
        services = build_runtime(settings, migrate=True)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    app = create_app(services, freeze_heap=True)
    bind_host, bind_port = host or settings.host, port or settings.port
    click.echo(f"Cảnh Giác đang chạy: http://{bind_host}:{bind_port}/  (Ctrl+C để dừng)")
    # log_config=None: the server's own lines go through the same handler (and outage folding).
    uvicorn.run(app, host=bind_host, port=bind_port, log_level=settings.log_level.lower(), log_config=None)


@main.command()
def chat() -> None:
    """Talk to the bot in this terminal (the same conversation as on the web chat)."""
    from bot.runtime import build_runtime
    from bot.terminal import run_terminal_chat

    settings = _settings()
    logging.basicConfig(level=logging.WARNING)
    try:
        services = build_runtime(settings, migrate=True)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    run_terminal_chat(services)


@main.command()
@click.option("--name", default=None, help="Worker name in the outbox (default host:pid).")
def worker(name: str | None) -> None:
    """Send queued messages and alerts; run one or more next to `serve` (PostgreSQL, Redis)."""
    import asyncio

    from bot.runtime import run_worker

    settings = _settings()
    _setup_logging(settings)
    try:
        asyncio.run(run_worker(settings, name=name))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("text", required=False)
@click.option(
    "--jsonl", is_flag=True, help="Read {id, text} or {id, image} lines on stdin, write one verdict a line."
)
@click.option(
    "--image",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help='Check a screenshot: its text and QR codes are read, and printed as "text".',
)
@click.option("--no-registry", is_flag=True, help="Do not consult the database registry.")
def check(text: str | None, jsonl: bool, image: Path | None, no_registry: bool) -> None:
    """Check a text or a screenshot for scam signs (an argument, --image, or --jsonl on standard input)."""
    from bot.check_command import run_check
    from content.library import LibraryError

    if not jsonl and image is None and text is None and not sys.stdin.isatty():
        text = sys.stdin.read()  # `echo "…" | canhgiac check`
    if not jsonl and image is None and not (text or "").strip():
        raise click.UsageError('cần một đoạn văn bản: canhgiac check "…" (hoặc --jsonl để đọc từng dòng)')
    settings = _settings()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        code = run_check(settings, text=text, jsonl=jsonl, image=image, use_registry=not no_registry)
    except LibraryError as exc:
        raise click.ClickException(
            f"thư viện nội dung có lỗi, chạy `canhgiac content check`:\n{exc}"
        ) from None
    sys.exit(code)


@main.group()
def content() -> None:
    """The content library."""


@content.command("check")
@click.option("--path", type=click.Path(path_type=Path), default=None, help="Library folder.")
def content_check(path: Path | None) -> None:
    """Validate every card; name the file, the field and the reason of each problem."""
    from content.library import load_library

    try:
        library = load_library(path)
    except Exception as exc:
        click.echo(f"Thư viện có lỗi:\n{exc}", err=True)
        sys.exit(1)
    click.echo(f"Thư viện hợp lệ: {len(library.modus_cards())} thủ đoạn, {len(library.guides())} hướng dẫn.")


@main.group()
def model() -> None:
    """The learned part of the scam check."""


@model.command("train")
@click.option("--cv/--no-cv", default=True, show_default=True, help="Print cross-validated figures first.")
def model_train(cv: bool) -> None:
    """Retrain the check model from content/corpus/ and write it beside the engine."""
    from bot.commands.model_train import cross_validate, model_path, train
    from content import Checker
    from content.corpus import generate, split_pairs, vocabulary
    from content.library import load_library

    samples = generate()
    words, pairs = vocabulary(samples)
    checker = Checker(load_library(), model=None, words=words, pairs=split_pairs(pairs))
    click.echo(f"Kho huấn luyện: {len(samples)} tin nhắn.")
    if cv:
        click.echo("Kiểm định chéo (5 phần, theo mẫu câu):")
        for line in cross_validate(checker.analysis_tokens, samples).lines():
            click.echo("  " + line)
    meta = train(checker.analysis_tokens)
    click.echo(f"Đã ghi {model_path()} (dấu vân tay kho: {meta['fingerprint']}).")


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    settings = _settings()
    _setup_logging(settings)
    upgrade(make_engine(settings.effective_database_url))
    click.echo("Cơ sở dữ liệu đã được cập nhật.")


@main.group()
def registry() -> None:
    """The registry of confirmed scam numbers, accounts and links."""


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--progress", default=100_000, show_default=True, help="Print a progress line every N rows.")
def registry_import(file: Path, progress: int) -> None:
    """Import FILE.csv (columns: kind, value, reports, bank, note); bad rows are listed."""
    from bot.registry_csv import HeaderError, read_rows
    from storage.db import make_engine, transaction
    from storage.migrate import upgrade
    from storage.registry import import_rows

    settings = _settings()
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    errors = 0

    def on_error(line: int, message: str) -> None:
        nonlocal errors
        errors += 1
        click.echo(f"dòng {line}: {message}", err=True)

    def with_progress(rows: Iterator[RegistryRow]) -> Iterator[RegistryRow]:
        for count, row in enumerate(rows, start=1):
            if progress > 0 and count % progress == 0:
                click.echo(f"… đã đọc {count:,} dòng hợp lệ".replace(",", "."), err=True)
            yield row

    try:
        with file.open(encoding="utf-8-sig", newline="") as stream, transaction(engine) as session:
            loaded = import_rows(session, with_progress(read_rows(stream, on_error)))
    except HeaderError as exc:
        raise click.ClickException(str(exc)) from None
    except UnicodeDecodeError:
        raise click.ClickException("tệp không phải văn bản UTF-8; không nhập dòng nào") from None
    click.echo(f"Đã nhập {loaded} dòng; {errors} dòng lỗi.")
    if errors and not loaded:
        sys.exit(1)


def _telegram(settings: Settings, action: Callable[[Bot], Awaitable[T]]) -> T:
    """Run one Bot API action with the configured client; errors become a clear message."""
    from aiogram.exceptions import TelegramAPIError

    from bot.runtime import make_telegram_bot

    try:
        bot = make_telegram_bot(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc

    async def run() -> T:
        try:
            return await action(bot)
        finally:
            await bot.session.close()

    try:
        return asyncio.run(run())
    except TelegramAPIError as exc:
        raise click.ClickException(f"Telegram từ chối: {exc.message}") from exc


@main.group()
def telegram() -> None:
    """The Telegram bot's webhook (webhook mode needs CANHGIAC_PUBLIC_URL)."""


@telegram.command("set-webhook")
@click.option("--drop-pending", is_flag=True, help="Discard updates Telegram is still holding.")
@click.option("--max-connections", default=40, show_default=True, help="Parallel deliveries (1–100).")
def telegram_set_webhook(drop_pending: bool, max_connections: int) -> None:
    """Register CANHGIAC_PUBLIC_URL/webhooks/telegram with the secret and the update types we use."""
    from bot.channels.telegram.admin import set_webhook

    settings = _settings()
    _setup_logging(settings)
    if not settings.public_url:
        raise click.ClickException("cần CANHGIAC_PUBLIC_URL (địa chỉ HTTPS công khai của máy chủ)")
    if settings.telegram_webhook_secret is None:
        raise click.ClickException("cần CANHGIAC_TELEGRAM_WEBHOOK_SECRET (1–256 ký tự A-Z a-z 0-9 _ -)")
    public_url, secret = settings.public_url, settings.telegram_webhook_secret.get_secret_value()
    info = _telegram(
        settings,
        lambda bot: set_webhook(
            bot,
            public_url=public_url,
            secret=secret,
            drop_pending=drop_pending,
            max_connections=max_connections,
        ),
    )
    click.echo(f"Đã đăng ký webhook: {info.url} (Telegram đang giữ {info.pending_update_count} cập nhật)")


@telegram.command("delete-webhook")
@click.option("--drop-pending", is_flag=True, help="Discard updates Telegram is still holding.")
def telegram_delete_webhook(drop_pending: bool) -> None:
    """Remove the webhook (the bot then long-polls when CANHGIAC_PUBLIC_URL is unset)."""
    from bot.channels.telegram.admin import delete_webhook

    settings = _settings()
    _setup_logging(settings)
    _telegram(settings, lambda bot: delete_webhook(bot, drop_pending=drop_pending))
    click.echo("Đã gỡ webhook.")


@telegram.command("webhook-info")
def telegram_webhook_info() -> None:
    """Show what Telegram knows about our webhook (address, pending updates, last error)."""
    from bot.channels.telegram.admin import webhook_info

    info = _telegram(_settings(), webhook_info)
    click.echo(f"url: {info.url or '(không có)'}")
    click.echo(f"pending_update_count: {info.pending_update_count}")
    click.echo(f"allowed_updates: {', '.join(info.allowed_updates or [])}")
    if info.last_error_message:
        click.echo(f"last_error: {info.last_error_message}")


@main.group()
def secrets() -> None:
    """Keys that encrypt personal data at rest (see docs/personal-data.md)."""


@secrets.command("new")
def secrets_new() -> None:
    """Print a new key, to put first in CANHGIAC_SECRET_KEYS."""
    from storage.crypto import Cipher

    click.echo(Cipher.generate_key())


@secrets.command("rotate")
def secrets_rotate() -> None:
    """Re-encrypt every stored value and evidence file with the first key of CANHGIAC_SECRET_KEYS.

    Run it after putting a new key first; when it reports success, the old keys may be
    removed from the setting.
    """
    from bot.app import build_evidence_store
    from bot.keys import load_cipher
    from storage.db import make_engine, transaction
    from storage.migrate import upgrade
    from storage.tip_privacy import rotate_encrypted

    settings = _settings()
    _setup_logging(settings)
    try:
        cipher = load_cipher(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    try:
        with transaction(engine) as session:
            values = rotate_encrypted(session, cipher=cipher)
        store = build_evidence_store(settings, cipher)
        files = store.rotate(cipher) if hasattr(store, "rotate") else 0
    except Exception as exc:  # CipherError: a value no configured key opens
        raise click.ClickException(f"không mã hóa lại được: {exc}") from exc
    click.echo(f"Đã mã hóa lại {values} giá trị và {files} tệp bằng khóa mới ({cipher.key_count} khóa).")


def _vn_time(value: object) -> str:
    import datetime as dt
    from zoneinfo import ZoneInfo

    if not isinstance(value, dt.datetime):
        return str(value)
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M %d/%m/%Y")


@main.group()
def zalo() -> None:
    """The Zalo Official Account (OA API v3)."""


@zalo.command("authorize")
@click.option(
    "--redirect-uri", default=None, help="Callback registered in the Zalo app (default from settings)."
)
@click.option(
    "--verifier", default=None, help="A PKCE verifier to reuse (when the app console fixes the challenge)."
)
@click.option(
    "--code", default=None, help="The code (or the whole address) Zalo redirected to; asked if missing."
)
def zalo_authorize(redirect_uri: str | None, verifier: str | None, code: str | None) -> None:
    """Print the OA consent link, take the returned code, store the token pair encrypted."""
    import asyncio

    from bot.channels.zalo.admin import finish_consent, parse_code, start_consent
    from bot.channels.zalo.errors import ZaloError
    from bot.keys import load_cipher
    from storage.db import make_engine
    from storage.migrate import upgrade

    settings = _settings()
    try:
        load_cipher(settings)  # before the consent link: a code is single-use and short-lived
        consent = start_consent(settings, verifier=verifier, redirect_uri=redirect_uri)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("1. Quản trị viên OA mở đường dẫn này và bấm đồng ý cấp quyền:\n")
    click.echo(f"   {consent.url}\n")
    click.echo(f"   (code_challenge: {consent.challenge})")
    click.echo("2. Zalo chuyển tới địa chỉ callback kèm ?code=…; mã dùng được 10 phút, một lần.\n")
    answer = code or click.prompt("Dán mã code hoặc cả địa chỉ vào đây")
    try:
        auth_code, oa_id = parse_code(answer, state=consent.state)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    try:
        status = asyncio.run(finish_consent(settings, engine, consent, auth_code, oa_id))
    except (ZaloError, ConfigError) as exc:
        raise click.ClickException(f"không lấy được token: {exc}") from exc
    click.echo(
        f"Đã lưu token Zalo OA (mã hoá). Access token hết hạn lúc {_vn_time(status['access_expires_at'])}."
    )


@zalo.command("status")
def zalo_status() -> None:
    """Whether the OA token pair works (never prints a token)."""
    import asyncio

    from bot.channels.zalo.admin import oa_status
    from storage.db import make_engine
    from storage.migrate import upgrade

    settings = _settings()
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    try:
        status, info, problem = asyncio.run(oa_status(settings, engine))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not status.get("authorized"):
        reason = status.get("failure") or "chưa cấp quyền"
        raise click.ClickException(f"Zalo OA chưa sẵn sàng ({reason}); chạy `canhgiac zalo authorize`.")
    click.echo(f"Token hợp lệ đến {_vn_time(status['access_expires_at'])} (phiên bản {status['version']}).")
    if info is not None:
        click.echo(f"OA: {info.name} ({info.oa_id}), đã xác thực: {'có' if info.is_verified else 'chưa'}.")
    else:
        raise click.ClickException(f"gọi Zalo không được: {problem}")


@main.group("zalo-bot")
def zalo_bot() -> None:
    """The Zalo Bot API (bot platform)."""


@zalo_bot.command("set-webhook")
@click.option("--url", default=None, help="Webhook address (default PUBLIC_URL + /webhooks/zalo-bot).")
def zalo_bot_set_webhook(url: str | None) -> None:
    """Point the bot's webhook at this server, with the secret from settings."""
    import asyncio

    from bot.channels.zalo.admin import bot_set_webhook
    from bot.channels.zalo.errors import ZaloError

    settings = _settings()
    try:
        me, hook = asyncio.run(bot_set_webhook(settings, url))
    except (ZaloError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Bot {me.account_name or me.id}: webhook đặt tại {hook.url}.")


@main.group()
def officer() -> None:
    """Officers' console accounts."""


@officer.command("create")
@click.option("--username", prompt="Tên đăng nhập", help="Login name (lower case, no spaces).")
@click.option("--full-name", prompt="Họ tên", help="The officer's full name.")
@click.option(
    "--admin", "is_admin", is_flag=True, help="An administrator (sees every unit, manages accounts)."
)
@click.option(
    "--role",
    type=click.Choice(["admin", "province", "commune"]),
    default=None,
    help="Role when not --admin (then --unit-id is needed).",
)
@click.option("--unit-id", type=int, default=None, help="The officer's unit (see the console's Đơn vị page).")
@click.password_option(
    "--password", prompt="Mật khẩu (ít nhất 10 ký tự)", confirmation_prompt="Nhập lại mật khẩu"
)
def officer_create(
    username: str, full_name: str, is_admin: bool, role: str | None, unit_id: int | None, password: str
) -> None:
    """Create a console account; the password is asked for, never taken from the command line history."""
    from argon2 import PasswordHasher

    from storage import officers
    from storage.db import make_engine, transaction
    from storage.migrate import upgrade

    chosen = "admin" if is_admin else role
    if chosen is None:
        raise click.UsageError("give --admin, or --role with --unit-id")
    settings = _settings()
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    try:
        with transaction(engine) as session:
            created = officers.create_officer(
                session,
                hasher=PasswordHasher(),
                username=username,
                full_name=full_name,
                password=password,
                role=chosen,
                unit_id=unit_id,
                actor="cli",
            )
    except officers.OfficerError as exc:
        from bot.web.console.labels import problem

        raise click.ClickException(f"không tạo được tài khoản: {problem(exc.code) or exc.code}") from exc
    click.echo(f"Đã tạo tài khoản {created.username} ({chosen}). Đăng nhập tại /console/login.")
