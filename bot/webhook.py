"""Webhook mode: Telegram posts updates to an aiohttp server, checked by the secret token.

aiogram's own request handler feeds the dispatcher and answers once the update is handled, so an
update that failed gets a 500 and Telegram sends it again (the gate lets that retry through). The
same server answers /healthz (the database and Redis answer) and /readyz (this process takes
updates: started, webhook set, not stopping), for the proxy and the orchestrator.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.gate import UpdateGate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Health:
    """What /healthz and /readyz read: set by the process as it starts and stops."""

    engine: AsyncEngine
    gate: UpdateGate
    ready: bool = False
    extra_routes: list[Callable[[web.Application], None]] = field(default_factory=list)

    async def database_answers(self) -> bool:
        try:
            async with asyncio.timeout(5), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


def make_web_app(dp: Dispatcher, bot: Bot, health: Health, *, path: str | None, secret: str | None) -> web.Application:
    """The server of a web process: the webhook (when given a path) and the health endpoints."""
    app = web.Application()
    if path is not None:
        # handle_in_background=False: answered after handling, so a failure is retried by Telegram.
        SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token=secret).register(app, path=path)

    async def healthz(_request: web.Request) -> web.Response:
        database, redis = await asyncio.gather(health.database_answers(), health.gate.ping())
        status = 200 if database and redis else 503
        return web.json_response({"database": _ok(database), "redis": _ok(redis)}, status=status)

    async def readyz(_request: web.Request) -> web.Response:
        return web.json_response({"ready": health.ready}, status=200 if health.ready else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    for add in health.extra_routes:
        add(app)
    return app


def _ok(value: bool) -> str:
    return "ok" if value else "down"


async def serve(
    app: web.Application, host: str, port: int, stopping: asyncio.Event, before_stop: Callable[[], Awaitable[None]]
) -> None:
    """Serve until `stopping` is set; then stop taking connections and let the updates under way
    finish (aiohttp waits for running handlers up to the shutdown timeout)."""
    # No access log: the proxy's health checks every few seconds would drown what matters.
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=50, access_log=None)
    await runner.setup()
    # Several web processes of one host may share the port: the kernel spreads connections.
    site = web.TCPSite(runner, host, port, reuse_port=True)
    await site.start()
    log.info("listening on %s:%s", host, port)
    try:
        await stopping.wait()
    finally:
        await before_stop()
        await runner.cleanup()
