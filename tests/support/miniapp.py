"""The Mini App in tests: initData signed as Telegram signs it, accounts linked, the app served."""

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiogram import Bot
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.miniapp.api import RateLimiter
from bot.miniapp.auth import HEADER
from bot.miniapp.routes import miniapp_routes
from devtools.emulator import Emulator
from devtools.in_process import InProcessSession
from models import TelegramAccount
from services import clock
from tests.conftest import TOKEN
from tests.support.journal import person


def init_data(
    user_id: int,
    *,
    token: str = TOKEN,
    signed_at: datetime | None = None,
    language: str = "ru",
    chat_type: str | None = None,
) -> str:
    """initData as Telegram makes it (core.telegram.org/bots/webapps, "Validating data"): the fields
    sorted into a check string, signed with HMAC-SHA256 under HMAC("WebAppData", token)."""
    moment = signed_at or clock.now()
    user = {"id": user_id, "first_name": "Тест", "language_code": language, "allows_write_to_pm": True}
    fields = {
        "auth_date": str(int(moment.timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
    }
    if chat_type is not None:
        fields["chat_type"] = chat_type
        fields["chat_instance"] = "-8123456789"
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def signed(user_id: int, **kwargs: object) -> dict[str, str]:
    return {HEADER: init_data(user_id, **kwargs)}  # type: ignore[arg-type]


async def linked(session: AsyncSession, ref: str, user_id: int, locale: str = "ru", scope: str = "all") -> None:
    """A demo person's Telegram account, linked as /start CODE links it."""
    who = await person(session, ref)
    session.add(
        TelegramAccount(
            telegram_user_id=user_id,
            chat_id=user_id,
            person_id=who.id,
            locale=locale,
            scope=scope,
            linked_at=clock.now(),
        )
    )
    await session.commit()


def make_app(
    sessionmaker: async_sessionmaker[AsyncSession],
    emulator: Emulator | None = None,
    *,
    redis_url: str | None = None,
    limiter: RateLimiter | None = None,
) -> web.Application:
    bot = Bot(TOKEN, session=InProcessSession(emulator or Emulator()))
    app = web.Application()
    miniapp_routes(TOKEN, bot, sessionmaker, 12, redis_url=redis_url, limiter=limiter)(app)
    return app


@asynccontextmanager
async def client(
    sessionmaker: async_sessionmaker[AsyncSession], emulator: Emulator | None = None, **kwargs: Any
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(make_app(sessionmaker, emulator, **kwargs))) as found:
        yield found


@asynccontextmanager
async def serving(app: web.Application, *, cancel_on_disconnect: bool = False) -> AsyncIterator[str]:
    """The app on a port of its own, as the bot's server runs it (bot/webhook.serve): a call whose
    browser went away is not cancelled midway, and stopping waits for the calls under way. The
    test server of aiohttp cancels a call as its client disconnects; a browser closed at a test's
    end so cut a transaction short and left SQLite locked for the next test's cleanup. With
    `cancel_on_disconnect` the server does cancel, as aiohttp's test server (or another front) would."""
    runner = web.AppRunner(app, handler_cancellation=cancel_on_disconnect, shutdown_timeout=30, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    try:
        yield f"http://127.0.0.1:{port}/app/"
    finally:
        await runner.cleanup()
