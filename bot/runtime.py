"""Starting things: logging, settings checks, the database and the bot's polling loop."""

import asyncio
import contextlib
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from bot import event_loop
from bot.processes import StartupFailed
from bot.settings import Settings, SettingsError, get_settings
from locales.i18n import translate
from models.db import make_engine, make_sessionmaker
from models.migrate import is_current, upgrade
from services import tunables
from services.errors import N_

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.processes import Role


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines()
        if settings.log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(NoSecrets())
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # aiohttp and aiogram log request URLs, which contain the token; keep them quiet.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # every start would list the migrations


# A bot token (123456:ABC…) wherever it appears: in a URL of a failed request, say.
TOKEN_IN_TEXT = re.compile(r"(?<!\d)\d{3,}:[A-Za-z0-9_-]{20,}")


class NoSecrets(logging.Filter):
    """A line never carries the bot's token; people's names and texts are not logged to begin with."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN_IN_TEXT.search(message):
            record.msg, record.args = TOKEN_IN_TEXT.sub("<token>", message), None
        if record.exc_info and record.exc_text is None:
            record.exc_text = TOKEN_IN_TEXT.sub("<token>", logging.Formatter().formatException(record.exc_info))
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message (and the error, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def require_token(settings: Settings) -> None:
    if settings.bot_token is None:
        message = N_(
            "BOT_TOKEN is not set. Get a token from @BotFather in Telegram and put BOT_TOKEN=... in .env;\n"
            "or run offline: `diary-bot emulator` in another terminal, then "
            "TELEGRAM_API_URL=http://127.0.0.1:8081 BOT_TOKEN=123456:EMULATOR-TOKEN-0123456789abcdef."
        )
        typer.echo(translate(message, settings.locale), err=True)
        raise typer.Exit(2)


async def run_bot(settings: Settings, tuned: tunables.Tunables | None = None, role: "Role | None" = None) -> None:
    # aiogram takes seconds to import; only the bot itself pays for it.
    from bot.app import make_bot
    from bot.processes import Role, run_roles, stop_on_signals

    role = role or Role.ALL
    tunables.configure(tuned or settings.tunables())
    if role == Role.ALL:
        await upgrade(settings.database_url)  # one process: it migrates for itself
    elif not await is_current(settings.database_url):
        # Several processes: migrations run once, by `diary-bot db upgrade`, before they start.
        raise StartupFailed(N_("The database schema is not up to date: run `diary-bot db upgrade` first."))
    engine = make_engine(settings.database_url)
    bot = make_bot(settings)
    try:
        await reach_telegram(bot, settings)
        stopping = asyncio.Event()
        stop_on_signals(stopping)
        await run_roles(settings, role, bot, engine, make_sessionmaker(engine), stopping)
    finally:
        await bot.session.close()
        await engine.dispose()


async def reach_telegram(bot: "Bot", settings: Settings) -> None:
    """Ask Telegram who the bot is before anything runs: a wrong token or no network is one line."""
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    try:
        await bot.get_me(request_timeout=15)
    except TelegramUnauthorizedError:
        raise StartupFailed(N_("Telegram did not accept BOT_TOKEN: check the token you got from @BotFather.")) from None
    except (TelegramNetworkError, OSError):
        raise StartupFailed(
            N_("Telegram cannot be reached at {url}: check the network, or TELEGRAM_API_URL."),
            url=settings.telegram_api_url,
        ) from None


def run_forever(settings: Settings, tuned: tunables.Tunables | None = None, role: "Role | None" = None) -> None:
    setup_logging(settings)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            event_loop.run(run_bot(settings, tuned, role))
    except StartupFailed as failed:
        typer.echo(translate(failed.message, settings.locale, **failed.params), err=True)
        raise typer.Exit(2) from None
