"""Fixtures: a real database (SQLite, or PostgreSQL via TEST_DATABASE_URL) and the real bot stack."""

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.api_session import JsonSession
from bot.app import make_dispatcher
from devtools import in_process
from devtools.emulator import Emulator, serve
from devtools.in_process import InProcessSession
from models import Base
from models.db import make_engine, make_sessionmaker
from models.migrate import upgrade
from services.roster import import_roster

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-school"
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


async def create_pg_database(base_url: str) -> tuple[str, str]:
    """A fresh database beside the one named in base_url; returns its URL and name."""
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    name = f"diary_test_{secrets.token_hex(4)}"
    admin = make_engine(
        url.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


async def drop_pg_database(base_url: str, name: str) -> None:
    from sqlalchemy.engine import make_url

    admin = make_engine(
        make_url(base_url).set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def pg_reachable() -> bool:
    try:
        engine = make_engine(PG_ADMIN_URL)
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
async def db_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        url, name = await create_pg_database(base)
        await upgrade(url)
        yield url
        await drop_pg_database(base, name)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        await upgrade(url)
        yield url


@pytest.fixture(scope="session")
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: AsyncEngine = request.getfixturevalue("engine")
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


DemoRows = dict[str, list[dict[str, object]]]


@pytest.fixture(scope="session")
def demo_rows() -> DemoRows:
    """The demo school's rows, kept after its first import (the import itself is tested apart)."""
    return {}


@pytest.fixture
async def demo(sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine, demo_rows: DemoRows) -> None:
    """The demo school in the database: imported the first time, then put back row for row, which is
    ten times faster than validating and applying the roster again for every test."""
    if not demo_rows:
        async with sessionmaker() as session:
            await import_roster(session, DEMO)
            await session.commit()
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                demo_rows[table.name] = [dict(row._mapping) for row in await conn.execute(table.select())]
        return
    async with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if demo_rows[table.name]:
                await conn.execute(table.insert(), demo_rows[table.name])
        if conn.dialect.name == "postgresql":
            # Rows came back with their ids: the sequences must continue after them.
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and demo_rows[table.name]:
                    await conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) FROM {table.name}")
                    )


def _ephemeral_ports() -> range:
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


EPHEMERAL = _ephemeral_ports()


def free_port() -> int:
    """A free port below the kernel's ephemeral range. A port from `bind(0)` is an ephemeral one: in
    the seconds before the test's server binds it, any outgoing connection (the database's, the
    other test worker's) may be given it, and the server then fails with "address in use"."""
    candidates = [port for port in range(20000, 32000) if port not in EPHEMERAL] or list(range(20000, 32000))
    for port in secrets.SystemRandom().sample(candidates, 50):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # taken: another
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


class BotHarness:
    """The real Bot, Dispatcher and middlewares, answered by the emulator in process."""

    def __init__(self, emulator: Emulator, bot: Bot) -> None:
        self.emu = emulator
        self.bot = bot


@pytest.fixture
async def harness(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[BotHarness]:
    emulator = Emulator()
    bot = Bot(TOKEN, session=InProcessSession(emulator))
    dp = make_dispatcher(sessionmaker)
    feeding = await in_process.start(emulator, dp, bot)
    try:
        yield BotHarness(emulator, bot)
    finally:
        await emulator.close()
        await asyncio.wait_for(feeding, 5)
        await dp.emit_shutdown(bot=bot, bots=[bot], dispatcher=dp)
        await dp.storage.close()


@contextlib.asynccontextmanager
async def served(emulator: Emulator) -> AsyncIterator[str]:
    """The one way tests put an emulator on loopback HTTP (for the tests whose subject is the
    transport: delivery, the command line, the end-to-end runs); yields its base URL."""
    port = free_port()
    runner = await serve(emulator, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await emulator.close()
        await runner.cleanup()


def http_bot(url: str) -> Bot:
    return Bot(TOKEN, session=JsonSession(api=TelegramAPIServer.from_base(url)))
