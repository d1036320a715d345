"""Real processes for the fault tests: a private PostgreSQL and Redis, the emulator, diary-bot's roles.

Each test starts its own of everything on free ports, so it can stop and start them without touching
the machine's shared servers or another test running beside it; `Stack` kills whatever it started.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from models import Notification, Person, Preference, School, TelegramAccount
from models.db import make_engine
from tests.conftest import ROOT, free_port

TOKEN = "123456:EMULATOR-TOKEN-0123456789abcdef"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
FIRST_CHAT = 5_000_000
STARTUP = 90  # seconds a process may take to be ready on a busy machine (aiogram's import alone takes seconds)


async def run(*argv: str, timeout: float = 60) -> str:
    """A command to its end; its output, or an error with it."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}):\n{out.decode()}")
    return out.decode()


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str, every: float = 0.3) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(every)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, in a temporary directory, stopped and started at will.
    Run as the `postgres` user when the test runs as root (PostgreSQL refuses to run as root)."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "pg"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def missing() -> str | None:
        if not (PG_BIN / "initdb").exists():
            return f"no PostgreSQL server binaries at {PG_BIN} (PG_BIN): the test needs a private PostgreSQL"
        return None

    async def init(self) -> None:
        self.dir.mkdir()
        if self.as_postgres:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        await run(*self.as_postgres, str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres",
                  "--auth=trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        await self.start()

    def _ctl(self, *args: str) -> list[str]:
        return [*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.dir), *args]

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        await run(*self._ctl("-o", options, "-l", str(self.dir / "log"), "-w", "-t", "60", "start"), timeout=90)

    async def stop(self, mode: str = "fast") -> None:
        """`fast`: every session is disconnected at once, as a restart by the operator does."""
        await run(*self._ctl("-m", mode, "-w", "-t", "60", "stop"), timeout=90)

    async def close(self) -> None:
        if (self.dir / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                await self.stop("immediate")


class PrivateRedis:
    """A Redis of the test's own, with nothing saved to disk, stopped and started at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        from redis.asyncio import Redis

        redis = Redis.from_url(self.url)
        try:
            await until(lambda: _answers(redis), 20, "Redis starts", every=0.1)
        finally:
            await redis.aclose()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self.process = None


async def _answers(redis: Any) -> bool:
    try:
        return bool(await redis.ping())
    except Exception:  # not listening yet
        return False


class Process:
    """`python -m bot ARGS` (the `diary-bot` command itself, not a `uv` wrapper, so a signal reaches
    it), its output in a log file kept for the failure report."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path, port: int) -> None:
        self.name, self.argv, self.env, self.log, self.port = name, argv, env, log, port
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> "Process":
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=out
            )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def get(self, path: str) -> int:
        """The status of a GET on the process's own server (0: it does not answer)."""
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
                http.get(f"http://127.0.0.1:{self.port}{path}") as answer,
            ):
                return answer.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def ready(self) -> None:
        async def check() -> bool:
            if not self.alive:
                raise AssertionError(f"{self.name} exited at start:\n{self.tail()}")
            return await self.get("/readyz") == 200

        await until(check, STARTUP, f"{self.name} is ready")

    def kill(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM, as an operator stops it; SIGKILL if it takes longer than the graceful stop may."""
        if not self.alive:
            return
        assert self.process is not None
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    def tail(self, lines: int = 40) -> str:
        """The last log lines that say something (a traceback's own lines left out)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        said = [line for line in text.splitlines() if not line.startswith(" ")]
        return "\n".join(said[-lines:])


class Stack:
    """Everything one test runs: PostgreSQL, Redis, the emulator and diary-bot processes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pg = PrivatePostgres(root)
        self.redis = PrivateRedis()
        self.api_port = free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.processes: list[Process] = []
        self.engine: AsyncEngine | None = None
        self.settings: dict[str, str] = {}  # for every diary-bot process of the test
        self.last_update = 0  # the id of the newest update a person sent

    def env(self, port: int | None, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "VIRTUAL_ENV", "TMPDIR")}
        return {
            **keep,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.api,
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            **({"WEB_PORT": str(port)} if port else {}),
            "LOG_LEVEL": "INFO",
            "GRACE_MINUTES": "0",
            **self.settings,
            **extra,
        }

    async def start(self, limits: bool) -> None:
        """PostgreSQL (migrated by `diary-bot db upgrade`), Redis and the emulator (with Telegram's
        limits, or without when a web process answers people beside the workers: its replies are not
        the broadcast's and would draw the 429s)."""
        await self.pg.init()
        await self.redis.start()
        upgrade = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", cwd=ROOT, env=self.env(None),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(upgrade.communicate(), 120)
        assert upgrade.returncode == 0, out.decode()
        self.engine = make_engine(self.pg.url, pool_pre_ping=True)
        emulator = Process(
            "emulator", ["emulator", "--port", str(self.api_port), *(["--limits"] if limits else [])], self.env(None),
            self.root / "emulator.log", self.api_port,
        )  # fmt: skip
        self.processes.append(await emulator.start())
        await until(lambda: self._emulator_answers(), STARTUP, "the emulator starts")

    async def _emulator_answers(self) -> bool:
        try:
            await self.stats()
            return True
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def role(self, role: str, *, webhook: bool = False, **settings: str) -> Process:
        """`diary-bot run --role ROLE` (with `--webhook` on its own port), started and ready."""
        port = free_port()
        argv = ["run", "--role", role]
        if webhook:
            argv += ["--webhook", f"http://127.0.0.1:{port}/telegram"]
        name = f"{role}-{len(self.processes)}"
        process = Process(name, argv, self.env(port, **settings), self.root / f"{name}.log", port)
        self.processes.append(await process.start())
        await process.ready()
        return process

    async def close(self) -> None:
        for process in reversed(self.processes):
            process.kill()
            if process.process is not None:
                await process.process.wait()
        if self.engine is not None:
            await self.engine.dispose()
        await self.redis.stop()
        await self.pg.close()

    def report(self) -> str:
        return "\n".join(f"--- {p.name} ({'alive' if p.alive else 'exited'}):\n{p.tail()}" for p in self.processes)

    # --- the emulator's control endpoints ------------------------------------------------------
    async def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
            http.request(method, self.api + path, **kwargs) as answer,
        ):
            answer.raise_for_status()
            return await answer.json()

    async def stats(self) -> dict[str, int]:
        return dict(await self._control("GET", "/emulator/stats"))

    async def say(self, user: int, text: str) -> int:
        """A person writes to the bot; returns the update's id."""
        answer = await self._control("POST", f"/emulator/users/{user}/send", json={"text": text, "language_code": "ru"})
        self.last_update = max(self.last_update, int(answer["update_id"]))
        return int(answer["update_id"])

    async def received(self, user: int) -> list[str]:
        """The texts the bot sent this person."""
        messages = (await self._control("GET", f"/emulator/users/{user}/messages"))["messages"]
        return [m.get("text") or "" for m in messages if m["from"].get("is_bot")]

    async def handled(self, update_id: int) -> bool:
        """Telegram got a 200 for this update and every one before it."""
        return bool(
            (await self._control("GET", "/emulator/wait", params={"update_id": update_id, "timeout": 0.5}))["processed"]
        )

    async def faults(self, **faults: Any) -> None:
        await self._control("POST", "/emulator/faults", json=faults)

    # --- the database --------------------------------------------------------------------------
    async def families(self, count: int) -> list[int]:
        """`count` consenting people with linked accounts and no quiet hours, each of whom has written
        to the bot once (so Telegram knows the chat); returns their chat ids."""
        assert self.engine is not None
        now = datetime.now(UTC)
        chats = [FIRST_CHAT + n for n in range(count)]
        async with self.engine.begin() as conn:
            school = (
                await conn.execute(
                    insert(School).values(external_id="F1", name="Faults", timezone="UTC").returning(School.id)
                )
            ).scalar_one()
            people = [
                {"school_id": school, "last_name": "Тестов", "first_name": f"№{n}", "parent_ref": f"R{n}",
                 "active": True, "consent_at": now, "created_at": now}
                for n in range(count)
            ]  # fmt: skip
            ids = (await conn.execute(insert(Person).returning(Person.id), people)).scalars().all()
            accounts = [
                {"telegram_user_id": chat, "chat_id": chat, "person_id": pid, "locale": "ru", "created_at": now}
                for chat, pid in zip(chats, sorted(ids), strict=True)
            ]
            account_ids = (
                await conn.execute(insert(TelegramAccount).returning(TelegramAccount.id), accounts)
            ).scalars()
            # No quiet hours, said outright: a default would hold the pushes of a test run at night.
            flags: dict[str, bool | None] = dict.fromkeys(
                ("push_grades", "push_absences", "push_homework", "push_summaries", "push_reminders", "push_notes"),
                True,
            )
            flags.update(quiet_from=None, quiet_to=None)
            await conn.execute(insert(Preference), [{"account_id": a, **flags} for a in account_ids])
        for chat in chats:
            await self.say(chat, "Здравствуйте")
        return chats

    async def broadcast(self, tag: str) -> int:
        """One bulk push due now to every person; returns how many."""
        assert self.engine is not None
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            ids = (await conn.execute(select(Person.id))).scalars().all()
            await conn.execute(
                insert(Notification),
                [
                    {"person_id": pid, "category": "absences", "kind": "reason_given", "lane": "bulk", "due_at": now,
                     "payload": {"on_date": "2026-11-23", "reason": "illness"}, "topic": f"{tag}:{pid}",
                     "dedup_key": f"{tag}:{pid}", "status": "pending", "attempts": 0, "created_at": now}
                    for pid in ids
                ],
            )  # fmt: skip
        return len(ids)

    async def outbox(self) -> dict[str, int]:
        """Rows by status."""
        assert self.engine is not None
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(Notification.status, func.count()).group_by(Notification.status))
            return {status: count for status, count in rows}

    async def most_attempts(self) -> int:
        """The most claims a row took (each counts against its budget of tries)."""
        assert self.engine is not None
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.max(Notification.attempts))) or 0)

    async def unknown_chats(self) -> set[int]:
        """The chats of rows marked of unknown outcome (the only ones that may have got a push twice)."""
        assert self.engine is not None
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(TelegramAccount.chat_id)
                .join(Notification, Notification.person_id == TelegramAccount.person_id)
                .where(Notification.outcome_unknown.is_(True))
            )
            return {chat for (chat,) in rows}


@asynccontextmanager
async def stack(*, limits: bool = True, **settings: str) -> AsyncIterator[Stack]:
    """A started Stack, closed (every process killed, the directory removed) however the test ends;
    the processes' logs are printed when it fails."""
    if (reason := PrivatePostgres.missing()) is not None:
        pytest.skip(reason)
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server on PATH: the test needs a private Redis it can stop and start")
    root = Path(tempfile.mkdtemp(prefix="diary-faults-"))
    root.chmod(0o755)
    running = Stack(root)
    running.settings = settings
    try:
        await running.start(limits)
        yield running
    except BaseException:
        print(running.report())
        raise
    finally:
        await running.close()
        shutil.rmtree(root, ignore_errors=True)
