"""Shared pieces of the benchmarks: a fresh database, an emulator in its own process, counters."""

import asyncio
import contextlib
import os
import resource
import secrets
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-school"
sys.path.insert(0, str(ROOT))

from models.db import make_engine  # noqa: E402
from models.migrate import upgrade  # noqa: E402

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def fresh_database(base: str = PG_URL) -> AsyncIterator[str]:
    """A new PostgreSQL database for the run, migrated, dropped afterwards."""
    url = make_url(base)
    name = f"diary_bench_{secrets.token_hex(4)}"
    admin = make_engine(
        url.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = url.set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade(target)
        yield target
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def analyze(engine: AsyncEngine) -> None:
    """Planner statistics for the freshly loaded tables, as autovacuum gives a live database: without
    them PostgreSQL plans for empty tables and the run measures that instead."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE"))


class QueryCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self.engine = engine
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *_args: object) -> None:
        self.count += 1

    def stop(self) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._count)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@asynccontextmanager
async def emulator_process(port: int, *, limits: bool) -> AsyncIterator[str]:
    """The emulator in a process of its own (the other core), accepting any chat id."""
    code = (
        "import asyncio\n"
        "from devtools.emulator import Emulator, serve\n"
        "async def main():\n"
        f"    await serve(Emulator(limits={limits}, open_chats=True), '127.0.0.1', {port})\n"
        "    await asyncio.Event().wait()\n"
        "asyncio.run(main())\n"
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    import aiohttp

    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as http:
        while True:
            # Not listening yet is expected while the process starts: try again until the deadline.
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url + "/emulator/stats") as response:
                    if response.status == 200:
                        break
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            await asyncio.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        await process.wait()


async def emulator_stats(url: str) -> dict[str, int]:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(url + "/emulator/stats") as response:
        return await response.json()
