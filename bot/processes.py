"""A process's role: web (updates), worker (delivery), scheduler (the minute's jobs), or all three.

Any number of web and worker processes run side by side on one PostgreSQL and one Redis; the
scheduler role elects one leader with a PostgreSQL advisory lock held for the process's life, and
the others stand by. Only one process may poll Telegram; several web processes take a webhook.
SIGTERM stops a process gently: a web process stops taking updates and finishes those under way,
a worker finishes its sends and marks them, the scheduler lets its round end.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import locks
from bot.settings import Settings
from services.errors import N_, DiaryError

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

    from bot.gate import UpdateGate
    from bot.webhook import Health

log = logging.getLogger(__name__)

STANDBY_SECONDS = 15  # how often a standing-by scheduler asks for the leadership
DEFAULT_WEBHOOK_PORT = 8080


class Role(StrEnum):
    WEB = "web"
    WORKER = "worker"
    SCHEDULER = "scheduler"
    ALL = "all"


class StartupFailed(DiaryError):
    """The process cannot start; the message is one line for the operator."""


def stop_on_signals(stopping: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread (tests)
            loop.add_signal_handler(sig, stopping.set)


def make_gate(settings: Settings, bot: "Bot") -> "UpdateGate":
    from bot.gate import MemoryGate, RedisGate

    if settings.redis_url:
        return RedisGate(settings.redis_url, bot.id)
    return MemoryGate()


async def run_web(
    settings: Settings,
    bot: "Bot",
    sessionmaker: async_sessionmaker[AsyncSession],
    health: "Health",
    stopping: asyncio.Event,
) -> None:
    """Updates by webhook when WEBHOOK_URL is set, else by polling (one poller per bot)."""
    from bot.app import make_dispatcher, make_storage
    from bot.webhook import make_web_app, serve, webhook_path

    dp = make_dispatcher(sessionmaker, make_storage(settings), settings, gate=health.gate)
    if settings.webhook_url:
        from handlers.errors import TELEGRAM_RETRIES

        dp[TELEGRAM_RETRIES] = True
        secret = settings.webhook_secret_token()
        app = make_web_app(dp, bot, health, path=webhook_path(settings.webhook_url), secret=secret)
        await dp.emit_startup(bot=bot)
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        health.ready = True

        async def before_stop() -> None:
            health.ready = False  # the proxy stops sending here; updates under way finish

        try:
            port = settings.web_port or DEFAULT_WEBHOOK_PORT
            await serve(app, settings.web_host, port, stopping, before_stop)
        finally:
            await dp.emit_shutdown(bot=bot)
        return
    await poll(settings, bot, sessionmaker, dp, health, stopping)


async def poll(
    settings: Settings,
    bot: "Bot",
    sessionmaker: async_sessionmaker[AsyncSession],
    dp: "Dispatcher",
    health: "Health",
    stopping: asyncio.Event,
) -> None:
    engine = sessionmaker.kw["bind"]
    poller = locks.HeldLock(engine, locks.POLLER_LOCK_ID)
    if not await poller.try_take():
        raise StartupFailed(
            N_(
                "Another process of this bot already receives updates by polling, and Telegram allows one. "
                "Run several web processes with WEBHOOK_URL set, or stop the other one."
            )
        )
    try:
        # A webhook left from an earlier deployment would make every getUpdates fail (409).
        await bot.delete_webhook(drop_pending_updates=False)
        health.ready = True
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False))
        await _until(stopping, polling)
        health.ready = False
        if not polling.done():
            await dp.stop_polling()
            await polling
    finally:
        await poller.release()


async def _until(stopping: asyncio.Event, task: "asyncio.Task[object]") -> None:
    """Wait for a stop request, or for the task to end by itself (its error is raised)."""
    stop = asyncio.create_task(stopping.wait())
    await asyncio.wait({stop, task}, return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if task.done():
        task.result()


async def run_worker(
    settings: Settings, bot: "Bot", sessionmaker: async_sessionmaker[AsyncSession], stopping: asyncio.Event
) -> None:
    from bot.delivery import DeliveryWorker

    worker = DeliveryWorker.from_settings(bot, sessionmaker, settings)  # the limits in Redis when set
    running = asyncio.create_task(worker.run())
    await _until(stopping, running)
    worker.stopping.set()  # the batch in hand is sent and marked, nothing new is claimed
    await running


async def run_scheduler(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], stopping: asyncio.Event
) -> None:
    """Stand by until this process leads, then run the minute's jobs while it holds the lead."""
    from bot.scheduler import make_scheduler

    lead = locks.HeldLock(engine, locks.LEADER_LOCK_ID)
    try:
        while not stopping.is_set():
            if not await lead.try_take():
                log.info("scheduler standing by: another process leads")
                await _sleep_or_stop(stopping, STANDBY_SECONDS)
                continue
            log.info("scheduler leads")
            scheduler = make_scheduler(sessionmaker)
            scheduler.start()
            try:
                while not stopping.is_set() and await lead.still_held():
                    await _sleep_or_stop(stopping, STANDBY_SECONDS)
            finally:
                scheduler.shutdown(wait=False)
            if not stopping.is_set():
                log.warning("scheduler lost the lead (database connection lost); standing by")
    finally:
        await lead.release()


async def _sleep_or_stop(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


async def run_roles(
    settings: Settings,
    role: Role,
    bot: "Bot",
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    stopping: asyncio.Event,
) -> None:
    """The parts of this process, side by side; the first that fails stops the others."""
    from bot.metrics import metrics_route
    from bot.miniapp.routes import miniapp_routes
    from bot.webhook import Health, make_web_app, serve

    assert settings.bot_token is not None
    # The Mini App is served by every process with a port, beside the webhook and the health checks.
    miniapp = miniapp_routes(
        settings.bot_token.get_secret_value(),
        bot,
        sessionmaker,
        settings.miniapp_auth_hours,
        redis_url=settings.redis_url,
    )
    health = Health(engine, make_gate(settings, bot), extra_routes=[metrics_route(engine), miniapp])
    parts: list[Callable[[], Coroutine[Any, Any, None]]] = []
    if role in (Role.WEB, Role.ALL):
        parts.append(lambda: run_web(settings, bot, sessionmaker, health, stopping))
    if role in (Role.WORKER, Role.ALL):
        parts.append(lambda: run_worker(settings, bot, sessionmaker, stopping))
    if role in (Role.SCHEDULER, Role.ALL):
        parts.append(lambda: run_scheduler(engine, sessionmaker, stopping))
    serves_http = role in (Role.WEB, Role.ALL) and settings.webhook_url
    if settings.miniapp_url and role in (Role.WEB, Role.ALL) and not (serves_http or settings.web_port):
        log.warning("MINIAPP_URL is set but this process serves no HTTP: set WEB_PORT to serve the Mini App")
    if settings.web_port and not serves_http:
        # /healthz, /readyz (and /metrics) for a worker, scheduler or polling process

        async def health_only() -> None:
            from aiogram import Dispatcher

            health.ready = True
            app = make_web_app(Dispatcher(), bot, health, path=None, secret=None)
            assert settings.web_port is not None
            await serve(app, settings.web_host, settings.web_port, stopping, _nothing)

        parts.append(health_only)
    tasks = [asyncio.create_task(part()) for part in parts]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        stopping.set()  # a part that failed (or all of them ending) stops the rest
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
    finally:
        await health.gate.close()


async def _nothing() -> None:
    return None
