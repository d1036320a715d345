"""Webhook mode and the roles of a process, over real HTTP: the emulator posts updates as Telegram
does, retrying what was not answered 200; the secret is checked; an update is handled once across
web processes sharing Redis; one poller per bot; one scheduler leads."""

import asyncio
import contextlib
import itertools
import os
import random
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import locks
from bot.app import make_bot, make_dispatcher
from bot.gate import MemoryGate
from bot.processes import Role, StartupFailed, poll, run_roles
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, Health
from devtools.emulator import Emulator
from tests.conftest import ROOT, TOKEN, free_port, served

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def fresh_emulator() -> Emulator:
    """Update ids and users of this test's own: the Redis behind it is shared with parallel tests."""
    emu = Emulator()
    emu.update_ids = itertools.count(random.randint(10**8, 10**9))
    return emu


def user_id() -> int:
    return random.randint(10**8, 10**9)


def typed(emu: Emulator, person: int, words: str) -> dict[str, object]:
    """An update as Telegram would post it, for posting by hand."""
    return {
        "update_id": next(emu.update_ids),
        "message": {
            "message_id": 10_000,
            "date": 0,
            "chat": {"id": person, "type": "private", "first_name": "Тест"},
            "from": {"id": person, "is_bot": False, "first_name": "Тест"},
            "text": words,
        },
    }


@asynccontextmanager
async def web_process(
    db_url: str, api: str, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], **extra: object
) -> AsyncIterator[tuple[str, Settings]]:
    """A web process in this event loop, on a port of its own; yields its base URL."""
    port = free_port()
    settings = Settings(
        bot_token=TOKEN,
        database_url=db_url,
        telegram_api_url=api,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        web_port=port,
        **extra,
    )
    bot = make_bot(settings)
    stopping = asyncio.Event()
    running = asyncio.create_task(run_roles(settings, Role.WEB, bot, engine, sessionmaker, stopping))
    base = f"http://127.0.0.1:{port}"
    try:
        await ready(base, running)
        yield base, settings
    finally:
        stopping.set()
        await asyncio.wait_for(running, 20)
        await bot.session.close()


async def ready(base: str, running: "asyncio.Task[None]") -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            if running.done():
                running.result()
            with contextlib.suppress(aiohttp.ClientError):  # not listening yet
                async with http.get(f"{base}/readyz") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise AssertionError("the web process never became ready")


async def test_updates_come_by_webhook_with_the_secret_and_once(
    db_url: str, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    emu = fresh_emulator()
    async with served(emu) as api, web_process(db_url, api, engine, sessionmaker) as (base, settings):
        assert emu.webhook is not None and emu.webhook.secret == settings.webhook_secret_token()
        person = user_id()
        replies = await emu.say(person, "/start")
        assert replies and replies[0]["text"], "the update came by webhook and was answered"
        update = typed(emu, person, "/start")
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/telegram", json=update) as answer:
                assert answer.status == 401, "no secret, no update"
            async with http.post(f"{base}/telegram", json=update, headers={SECRET_HEADER: "wrong"}) as answer:
                assert answer.status == 401
            before = len(emu.bot_messages(person))
            secret = {SECRET_HEADER: settings.webhook_secret_token()}
            for _ in range(2):  # Telegram sends it again when it missed our 200
                async with http.post(f"{base}/telegram", json=update, headers=secret) as answer:
                    assert answer.status == 200
            assert len(emu.bot_messages(person)) == before + 1, "a repeated update is handled once"
            async with http.get(f"{base}/healthz") as answer:
                assert answer.status == 200 and await answer.json() == {"database": "ok", "redis": "ok"}
            async with http.get(f"{base}/metrics") as answer:
                metrics = await answer.text()
    assert 'diary_updates_total{outcome="duplicate",type="message"}' in metrics
    assert 'diary_update_seconds_count{type="message"}' in metrics
    assert "diary_outbox_oldest_due_seconds " in metrics
    assert TOKEN not in metrics and str(person) not in metrics


async def test_two_web_processes_on_redis_handle_an_update_once(
    db_url: str, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    emu = fresh_emulator()
    async with (
        served(emu) as api,
        web_process(db_url, api, engine, sessionmaker, redis_url=REDIS_URL) as (first, settings),
        web_process(db_url, api, engine, sessionmaker, redis_url=REDIS_URL) as (second, _),
    ):
        person = user_id()
        await emu.say(person, "/start")
        before = len(emu.bot_messages(person))
        update = typed(emu, person, "/help")
        secret = {SECRET_HEADER: settings.webhook_secret_token()}
        async with aiohttp.ClientSession() as http:

            async def post(base: str) -> int:
                async with http.post(f"{base}/telegram", json=update, headers=secret) as answer:
                    return answer.status

            statuses = await asyncio.gather(*(post(base) for base in (first, second, first, second)))
        assert statuses == [200] * 4
        assert len(emu.bot_messages(person)) == before + 1, "four deliveries to two processes, one answer"


async def test_without_redis_the_user_is_asked_to_try_again_and_nothing_changes(
    db_url: str, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    emu = fresh_emulator()
    with socket.socket() as bound:  # bound, never listening: the port refuses, and no server of the test takes it
        bound.bind(("127.0.0.1", 0))
        closed = f"redis://127.0.0.1:{bound.getsockname()[1]}/0"
        async with served(emu) as api, web_process(db_url, api, engine, sessionmaker, redis_url=closed) as (base, _):
            replies = await emu.say(user_id(), "/start")
            assert replies[0]["text"].startswith("Дневник ненадолго недоступен. Ничего не изменилось")
            assert await session.scalar(text("SELECT count(*) FROM telegram_accounts")) == 0
            async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz") as answer:
                assert answer.status == 503 and (await answer.json())["redis"] == "down"


async def test_only_one_process_polls(
    db_url: str, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    if engine.dialect.name != "postgresql":
        # SQLite serves one process: it always may poll (the lock is PostgreSQL's).
        assert await locks.HeldLock(engine, locks.POLLER_LOCK_ID).try_take()
        return
    held = locks.HeldLock(engine, locks.POLLER_LOCK_ID)
    assert await held.try_take()
    try:
        emu = fresh_emulator()
        async with served(emu) as api:
            settings = Settings(bot_token=TOKEN, database_url=db_url, telegram_api_url=api)
            bot = make_bot(settings)
            health = Health(engine, MemoryGate())
            with pytest.raises(StartupFailed):
                await poll(settings, bot, sessionmaker, make_dispatcher(sessionmaker), health, asyncio.Event())
            await bot.session.close()
    finally:
        await held.release()
    again = locks.HeldLock(engine, locks.POLLER_LOCK_ID)
    assert await again.try_take(), "released with its holder"
    await again.release()


async def test_one_scheduler_leads_and_another_takes_over_when_it_goes(engine: AsyncEngine) -> None:
    first, second = locks.HeldLock(engine, locks.LEADER_LOCK_ID), locks.HeldLock(engine, locks.LEADER_LOCK_ID)
    try:
        assert await first.try_take()
        if engine.dialect.name == "postgresql":
            assert not await second.try_take(), "the other stands by"
            await first.release()
            assert await second.try_take(), "and leads once the first is gone"
            # a leader whose connection was cut (PostgreSQL restarted) knows it no longer leads
            pid = await second._conn.scalar(text("SELECT pg_backend_pid()"))  # type: ignore[union-attr]
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert not await second.still_held()
    finally:
        await first.release()
        await second.release()


async def test_a_web_process_started_by_the_command_stops_gently_on_sigterm(
    tmp_path: Path, db_url: str, engine: AsyncEngine
) -> None:
    emu = fresh_emulator()
    async with served(emu) as api:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("LOCALE", "REDIS_URL", "WEBHOOK_URL")}
        env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api, DATABASE_URL=db_url, WEB_PORT=str(port))
        command = [sys.executable, "-m", "bot", "run", "--role", "web", "--webhook", f"http://127.0.0.1:{port}/tg"]
        log = (tmp_path / "web.log").open("wb")
        process = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            for _ in range(300):
                if emu.webhook is not None:
                    break
                assert process.returncode is None, (tmp_path / "web.log").read_text()
                await asyncio.sleep(0.1)
            replies = await emu.say(user_id(), "/start")
            assert replies
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_a_worker_refuses_to_start_on_an_old_schema(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LOCALE",)}
    env.update(BOT_TOKEN=TOKEN, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", LOCALE="ru")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--role", "worker", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert err.decode().strip() == "Схема базы данных устарела: сначала выполните `diary-bot db upgrade`."


def test_webhook_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    assert Settings(bot_token=TOKEN, webhook_url="", webhook_secret="").webhook_url is None
    with pytest.raises(ValidationError):
        Settings(webhook_url="http://diary.school.ru/telegram")  # Telegram posts to https only
    with pytest.raises(ValidationError):
        Settings(webhook_secret="with spaces")
    one = Settings(bot_token=TOKEN, webhook_url="https://diary.school.ru/telegram")
    assert one.webhook_secret_token() == Settings(bot_token=TOKEN).webhook_secret_token(), "the same in every process"
    assert TOKEN not in one.webhook_secret_token()


def test_logs_are_one_json_line_an_event_without_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import logging

    from bot.runtime import setup_logging

    root = logging.getLogger()
    kept = root.handlers[:], root.level
    try:
        setup_logging(Settings(log_format="json"))
        logging.getLogger("aiohttp.client").warning("request to https://api.telegram.org/bot%s/getMe failed", TOKEN)
        lines = capsys.readouterr().err.strip().splitlines()
    finally:
        root.handlers, root.level = kept[0], kept[1]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (
        entry["level"] == "WARNING"
        and entry["message"] == "request to https://api.telegram.org/bot<token>/getMe failed"
    )


async def test_an_update_met_by_a_database_outage_is_sent_again_by_telegram_and_done_once(
    demo: None,
    db_url: str,
    engine: AsyncEngine,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """By webhook an update whose commit met a database restarting is answered 500, not with an
    apology: Telegram posts it again, the gate lets the repeat through, and the change is made once."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError

    from models import TelegramAccount
    from services.link_codes import issue_codes_for
    from tests.support.bot import OPERATOR
    from tests.support.journal import person

    parent = await person(session, "R019")
    code = (await issue_codes_for(session, [parent], days=30, actor=OPERATOR))[0].code
    await session.commit()
    emu = fresh_emulator()
    async with served(emu) as api, web_process(db_url, api, engine, sessionmaker) as (_base, _settings):
        outage = [True]  # the next commit meets the database restarting
        real_commit = AsyncSession.commit

        async def commit_during_restart(self: AsyncSession) -> None:
            if outage and self is not session:
                outage.clear()
                raise OperationalError("COMMIT", {}, ConnectionRefusedError("the database system is starting up"))
            await real_commit(self)

        monkeypatch.setattr(AsyncSession, "commit", commit_during_restart)
        who = user_id()
        await emu.say(who, f"/start {code}", language_code="ru")
        assert emu.webhook_retries >= 1, "the failed update was answered 500 and posted again"
        texts = emu.texts(who)
        assert not any("пошло не так" in t for t in texts), texts
        assert any("Алексеева" in t or "Мария" in t for t in texts), texts
        linked = await session.scalar(
            select(func.count()).select_from(TelegramAccount).where(TelegramAccount.person_id == parent.id)
        )
        assert linked == 1


async def test_a_reply_refused_with_429_leaves_the_update_for_telegram_to_send_again(
    db_url: str, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A flood of taps: the bot's reply meets 429. By webhook the update is answered 500 rather than
    lost with an apology that would meet the same 429; Telegram's repeat gets its answer."""
    emu = fresh_emulator()
    async with served(emu) as api, web_process(db_url, api, engine, sessionmaker):
        person = user_id()
        emu.fail_next(429, "Too Many Requests: retry after 1", retry_after=1)
        replies = await emu.say(person, "/start", language_code="ru")
        assert emu.too_many == 1 and emu.webhook_retries >= 1
        assert len(replies) == 1 and "пошло не так" not in replies[0]["text"], replies


async def test_a_read_only_update_whose_commit_meets_the_outage_is_answered_once(
    db_url: str, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was written, the reply went out: the update is done, and sending it again would only
    say the same thing twice."""
    from sqlalchemy.exc import OperationalError

    emu = fresh_emulator()
    async with served(emu) as api, web_process(db_url, api, engine, sessionmaker):
        outage = [True]
        real_commit = AsyncSession.commit

        async def commit_during_restart(self: AsyncSession) -> None:
            if outage:
                outage.clear()
                raise OperationalError("COMMIT", {}, ConnectionRefusedError("the database system is shutting down"))
            await real_commit(self)

        monkeypatch.setattr(AsyncSession, "commit", commit_during_restart)
        person = user_id()
        replies = await emu.say(person, "/help", language_code="ru")
        assert not outage, "the commit met the outage"
        assert emu.webhook_retries == 0 and len(replies) == 1, replies
        assert "пошло не так" not in replies[0]["text"]
