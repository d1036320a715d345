"""Starting things: logging, settings checks, the database and the bot's polling loop."""

import asyncio
import contextlib
import logging
import sys
from typing import TYPE_CHECKING

import typer

from bot import event_loop
from bot.settings import Settings, SettingsError, get_settings
from locales.i18n import translate
from models.db import make_engine, make_sessionmaker
from models.migrate import upgrade
from services import tunables
from services.errors import N_, DiaryError

if TYPE_CHECKING:
    from aiogram import Bot


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # aiohttp and aiogram log request URLs, which contain the token; keep them quiet.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # every start would list the migrations


def require_token(settings: Settings) -> None:
    if settings.bot_token is None:
        message = N_(
            "BOT_TOKEN is not set. Get a token from @BotFather in Telegram and put BOT_TOKEN=... in .env;\n"
            "or run offline: `diary-bot emulator` in another terminal, then "
            "TELEGRAM_API_URL=http://127.0.0.1:8081 BOT_TOKEN=123456:EMULATOR-TOKEN-0123456789abcdef."
        )
        typer.echo(translate(message, settings.locale), err=True)
        raise typer.Exit(2)


async def run_bot(settings: Settings, tuned: tunables.Tunables | None = None) -> None:
    # aiogram takes seconds to import; only the bot itself pays for it.
    from bot.app import make_bot, make_dispatcher, make_storage

    tunables.configure(tuned or settings.tunables())
    await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    from bot.delivery import DeliveryWorker

    bot = make_bot(settings)
    try:
        await reach_telegram(bot, settings)
    except StartupFailed:
        await bot.session.close()
        await engine.dispose()
        raise
    sessionmaker = make_sessionmaker(engine)
    dp = make_dispatcher(sessionmaker, make_storage(settings), settings)
    from bot.scheduler import make_scheduler

    worker = DeliveryWorker(bot, sessionmaker, rate=settings.delivery_rate)
    delivery = asyncio.create_task(worker.run())
    scheduler = make_scheduler(sessionmaker)
    scheduler.start()
    try:
        await dp.start_polling(bot, handle_signals=True)
    finally:
        scheduler.shutdown(wait=False)
        worker.stopping.set()
        await delivery
        await bot.session.close()
        await engine.dispose()


class StartupFailed(DiaryError):
    """The bot cannot start; the message is one line for the operator."""


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


def run_forever(settings: Settings, tuned: tunables.Tunables | None = None) -> None:
    setup_logging(settings)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            event_loop.run(run_bot(settings, tuned))
    except StartupFailed as failed:
        typer.echo(translate(failed.message, settings.locale, **failed.params), err=True)
        raise typer.Exit(2) from None
