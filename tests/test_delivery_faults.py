"""The delivery worker against injected faults, and several workers sharing one bot's limits.

Each test drives the real worker over HTTP against the emulator, which notes when each message
arrived and when it answered 429. Tests that assert "no 429" use 90% of each limit, not the
production 97.5%: on a busy two-core machine the emulator's clock, in the same process, sees sends
a few tens of milliseconds late, and a burst of late ones would look like too many in a second.
"""

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryWorker
from bot.rate_limit import Limits, LocalLimiter, RedisLimiter
from bot.settings import Settings, describe_error
from devtools.emulator import ApiError, Emulator, serve
from models import Notification, Preference, TelegramAccount
from models.accounts import QUIET_HOURS
from models.db import make_engine, make_sessionmaker
from services import tunables
from tests.conftest import free_port, http_bot, served
from tests.support.bot import drain, running_from
from tests.support.redis import redis_namespace as shared_namespace
from tests.test_delivery import NOON, accounts_for, one_push, queue

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOMY = 0.9  # the share of each limit the tests use, see the module's docstring


class Clocked(Emulator):
    """The emulator, noting when each message arrived and when each 429 was answered."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[tuple[float, int]] = []  # (monotonic time, chat id)
        self.refusals: list[float] = []

    def _check_limits(self, chat_id: int, paid: bool = False) -> None:
        try:
            super()._check_limits(chat_id, paid)
        except ApiError as error:
            if error.code == 429:
                self.refusals.append(time.monotonic())
            raise
        self.arrivals.append((time.monotonic(), chat_id))

    def of_chat(self, chat: int) -> list[float]:
        return [at for at, to in self.arrivals if to == chat]

    def busiest_second(self) -> int:
        """The most messages that arrived within any one second."""
        times = sorted(at for at, _chat in self.arrivals)
        return max((sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times)), default=0)


@pytest.fixture
def at_noon(monkeypatch: pytest.MonkeyPatch) -> None:
    running_from(monkeypatch, NOON)


@contextlib.asynccontextmanager
async def emulated(**options: Any) -> AsyncIterator[tuple[Clocked, Bot]]:
    emu = Clocked(**options)
    async with served(emu) as url:
        bot = http_bot(url)
        try:
            yield emu, bot
        finally:
            await bot.session.close()


def roomy_worker(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], rate: float, **kwargs: Any
) -> DeliveryWorker:
    return DeliveryWorker(bot, sessionmaker, limiter=LocalLimiter(Limits(rate, margin=ROOMY)), rate=rate, **kwargs)


async def rows(session: AsyncSession) -> list[Notification]:
    session.expire_all()
    return list(await session.scalars(select(Notification).order_by(Notification.id)))


async def settled(
    worker: DeliveryWorker, task: "asyncio.Task[None]", sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Wait until the running worker has emptied the queue, then stop it."""
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            async with sessionmaker() as session:
                left = await session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.status.in_(("pending", "claimed")))
                )
            if not left:
                return
            assert asyncio.get_running_loop().time() < deadline, "the queue did not drain"
            await asyncio.sleep(0.1)
    finally:
        worker.stopping.set()
        await task


async def until(condition: Any, timeout: float = 30) -> None:
    """Wait until `condition()` holds; the deadline only stops a broken run from hanging."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


# --- a send whose answer was lost ------------------------------------------------------------


@pytest.mark.parametrize("how", ["disconnect", "reset"])
async def test_connection_dropped_after_delivery_counts_as_unknown_outcome(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, how: str
) -> None:
    async with emulated(limits=True) as (emu, bot):
        _person, chat = await one_push(session, emu)
        emu.drop_next(how)  # delivered, then the connection is cut before the answer
        worker = DeliveryWorker(bot, sessionmaker, unknown_retry=timedelta(seconds=0.5))
        await drain(worker, sessionmaker)
    (row,) = await rows(session)
    assert worker.stats["unknown outcome"] == 1 and worker.stats["retried"] == 0
    assert row.status == "sent" and row.outcome_unknown
    assert row.last_error is not None and row.last_error.startswith("outcome unknown")
    assert len(emu.texts(chat)) == 2, "a possible repeat, and marked as one; nothing lost"


async def test_unknown_outcome_mark_outlives_a_later_server_error(
    demo: None, session: AsyncSession, sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    running_from(monkeypatch, NOON)
    async with emulated(limits=True) as (emu, bot):
        _person, chat = await one_push(session, emu)
        emu.stall_next(2)  # delivered; the answer comes after the worker stopped waiting
        worker = DeliveryWorker(bot, sessionmaker, send_timeout=1, unknown_retry=timedelta(seconds=1))
        task = asyncio.create_task(worker.run())
        await until(lambda: worker.stats["unknown outcome"] == 1)
        emu.fail_next(500, "Internal Server Error")  # the repeat meets a server error
        await until(lambda: worker.stats["retried"] == 1)
        running_from(monkeypatch, NOON + timedelta(hours=1))  # past the back-off
        worker.stopping.set()
        await task
        await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    (row,) = await rows(session)
    assert row.status == "sent" and row.attempts == 3
    assert row.outcome_unknown, "the mark stays for the row's life"
    assert row.last_error is not None and row.last_error.startswith("outcome unknown")
    assert len(emu.texts(chat)) == 2


# --- Telegram unreachable, or refusing for good ------------------------------------------------


async def test_telegram_outage_is_waited_out_without_using_attempts(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker
) -> None:
    emu = Clocked(limits=True)
    people = await accounts_for(session, emu, 3)
    for person_id, _chat in people:
        queue(session, person_id, 0)
    await session.commit()
    port = free_port()
    bot = http_bot(f"http://127.0.0.1:{port}")  # nothing listens there yet: connection refused
    worker = DeliveryWorker(bot, sessionmaker, outage_backoff=(0.1, 0.3))
    task = asyncio.create_task(worker.run())
    try:
        # Twelve refused tries of each push would be far past the attempt budget of eight.
        await until(lambda: worker.stats["telegram unreachable"] >= 36)
        assert worker.unreachable_for() > 0
        waiting = await rows(session)
        assert {r.status for r in waiting} <= {"pending", "claimed"}, "nothing failed while Telegram was away"
        assert max(r.attempts for r in waiting) <= 1, "being unable to reach Telegram uses no attempt"
        assert all(r.unreachable_since is not None for r in waiting if r.status == "pending")
        runner = await serve(emu, "127.0.0.1", port)  # Telegram is back
        try:
            await settled(worker, task, sessionmaker)
        finally:
            await runner.cleanup()
    finally:
        worker.stopping.set()
        await task
        await bot.session.close()
    sent = await rows(session)
    assert [r.status for r in sent] == ["sent"] * 3
    assert all(r.unreachable_since is None and not r.outcome_unknown for r in sent)
    assert all(len(emu.texts(chat)) == 1 for _p, chat in people)
    assert worker.unreachable_for() == 0


async def test_outage_longer_than_the_cap_fails_the_push(
    demo: None, session: AsyncSession, sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    running_from(monkeypatch, NOON)
    _person, _chat = await one_push(session, Emulator())
    bot = http_bot(f"http://127.0.0.1:{free_port()}")
    worker = DeliveryWorker(bot, sessionmaker, outage_cap=timedelta(hours=2), outage_backoff=(0.1, 0.1))
    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: worker.stats["telegram unreachable"] >= 2)  # the first one is recorded
        running_from(monkeypatch, NOON + timedelta(hours=3))  # 15:00 at the school: no quiet hours
        await until(lambda: worker.stats["failed"] >= 1)
    finally:
        worker.stopping.set()
        await task
        await bot.session.close()
    (row,) = await rows(session)
    assert row.status == "failed" and row.last_error is not None
    assert row.last_error.startswith("Telegram unreachable")


async def test_refused_message_fails_at_once(demo: None, at_noon: None, session: AsyncSession, sessionmaker) -> None:
    async with emulated(limits=True) as (emu, bot):
        _person, chat = await one_push(session, emu)
        emu.fail_next(400, "Bad Request: can't parse entities")
        worker = DeliveryWorker(bot, sessionmaker)
        await drain(worker, sessionmaker)
    (row,) = await rows(session)
    assert row.status == "failed" and row.attempts == 1 and worker.stats["failed"] == 1
    assert emu.texts(chat) == []


# --- 429s and leases ---------------------------------------------------------------------------


async def test_retry_after_longer_than_the_lease_sends_nothing_twice(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tunables, "current", replace(tunables.current, delivery_lease=timedelta(seconds=1)))
    async with emulated(limits=True, rate=10) as (emu, bot):
        people = await accounts_for(session, emu, 20)
        for person_id, _chat in people:
            queue(session, person_id, 0)
        await session.commit()
        emu.fail_next(429, "Too Many Requests: retry after 3", retry_after=3)
        worker = roomy_worker(bot, sessionmaker, 10)
        await drain(worker, sessionmaker)
    assert worker.stats["429"] == 1
    assert [len(emu.texts(chat)) for _p, chat in people] == [1] * 20, "nothing lost, nothing twice"
    assert not any(r.outcome_unknown for r in await rows(session)), "no row was taken back from this worker"


async def test_429_stops_the_sends_already_waiting(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker
) -> None:
    async with emulated(limits=True, rate=10) as (emu, bot):
        people = await accounts_for(session, emu, 15)
        for person_id, _chat in people:
            queue(session, person_id, 0)
        await session.commit()
        worker = roomy_worker(bot, sessionmaker, 10)
        task = asyncio.create_task(worker.run())
        await until(lambda: len(emu.arrivals) >= 3)  # the batch is waiting at the limiter
        emu.fail_next(429, "Too Many Requests: retry after 2", retry_after=2)
        await until(lambda: worker.stats["429"] == 1)
        await settled(worker, task, sessionmaker)
    (refused,) = emu.refusals
    after = [at for at, _chat in emu.arrivals if at > refused]
    assert after, "the rest went after the pause"
    assert min(after) >= refused + 2, "no send went during the pause"
    assert all(len(emu.texts(chat)) == 1 for _p, chat in people)


def summary(week_start: str) -> dict[str, Any]:
    return {
        "student_id": 0,
        "week_start": week_start,
        "grades": {},
        "period_avg": {},
        "week_avg": {},
        "absences": [],
        "homework": [],
    }


async def test_one_chat_gets_one_message_a_second_in_order_while_the_bot_is_busy(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker
) -> None:
    async with emulated(limits=True, rate=20) as (emu, bot):
        people = await accounts_for(session, emu, 31)
        (target, chat), others = people[0], [person for person, _chat in people[1:]]
        # Three weekly summaries (one message each) to one chat, in one batch among thirty others
        # that queue for the bot's rate: the first waits behind ten of them.
        weeks = ["2026-11-02", "2026-11-09", "2026-11-16"]
        order = [*others[:10], weeks[0], *others[10:15], weeks[1], weeks[2], *others[15:]]
        for n, item in enumerate(order):
            if isinstance(item, str):
                row = dict(kind="weekly_summary", category="summaries", payload=summary(item), person_id=target)
            else:
                row = dict(kind="reason_given", category="absences", person_id=item)
                row["payload"] = {"on_date": "2026-11-23", "reason": "illness"}
            session.add(
                Notification(lane="bulk", due_at=NOON, status="pending", topic=f"t{n}", dedup_key=f"t{n}", **row)
            )
        await session.commit()
        worker = roomy_worker(bot, sessionmaker, 20)
        await drain(worker, sessionmaker)
    assert emu.too_many == 0
    times = emu.of_chat(chat)
    assert len(times) == 3
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times)), times  # the emulator's own slack
    texts = emu.texts(chat)
    assert ["2 ноября" in texts[0], "9 ноября" in texts[1], "16 ноября" in texts[2]] == [True] * 3, texts


async def test_stopping_gives_back_what_waits_for_a_pause(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker
) -> None:
    async with emulated(limits=True) as (emu, bot):
        people = await accounts_for(session, emu, 5)
        for person_id, _chat in people:
            queue(session, person_id, 0)
        await session.commit()
        emu.fail_next(429, "Too Many Requests: retry after 60", retry_after=60)
        worker = DeliveryWorker(bot, sessionmaker)
        task = asyncio.create_task(worker.run())
        await until(lambda: worker.stats["429"] == 1)
        worker.stopping.set()
        await asyncio.wait_for(task, 20)  # not the minute of the pause
    waiting = await rows(session)
    assert {r.status for r in waiting} == {"pending"}
    assert all(r.lease_until is None and r.attempts == 0 for r in waiting), "given back, no attempt used"
    assert sum(len(emu.texts(chat)) for _p, chat in people) == 0


# --- several workers, one bot ------------------------------------------------------------------


@pytest.fixture
async def redis_namespace() -> AsyncIterator[str]:
    """A namespace of its own in the Redis the tests use, removed afterwards."""
    async with shared_namespace() as namespace:
        yield namespace


def shared_limiter(namespace: str, rate: float, **limits: Any) -> RedisLimiter:
    return RedisLimiter.from_url(REDIS_URL, 123456, Limits(rate, margin=ROOMY, **limits), namespace=namespace)


async def test_two_workers_share_one_bots_rate(
    demo: None, at_noon: None, session: AsyncSession, db_url: str, redis_namespace: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers share a queue on PostgreSQL (SKIP LOCKED); SQLite has one worker")
    async with emulated(limits=True, rate=20) as (emu, bot):
        people = await accounts_for(session, emu, 80)
        for person_id, _chat in people:
            queue(session, person_id, 0, lane="bulk")
        await session.commit()
        engines = [make_engine(db_url), make_engine(db_url)]  # as two processes have
        workers = [
            DeliveryWorker(bot, make_sessionmaker(engine), rate=20, limiter=shared_limiter(redis_namespace, 20))
            for engine in engines
        ]
        for worker in workers:
            worker.owns_limiter = True
        running = [asyncio.create_task(worker.run()) for worker in workers]
        await until(lambda: len(emu.arrivals) >= 80, timeout=60)
        for worker in workers:
            worker.stopping.set()
        await asyncio.gather(*running)
        for engine in engines:
            await engine.dispose()
    assert all(worker.stats["messages"] > 0 for worker in workers), "both workers sent"
    assert emu.too_many == 0 and emu.busiest_second() <= 20
    assert [len(emu.texts(chat)) for _p, chat in people] == [1] * 80, "no duplicates"
    sent = await session.scalar(select(func.count()).select_from(Notification).where(Notification.status == "sent"))
    assert sent == 80
    assert not any(method.lower() == "getupdates" for method, _params in emu.calls), "workers never poll"


async def test_a_429_pauses_every_worker(redis_namespace: str) -> None:
    first, second = shared_limiter(redis_namespace, 5), shared_limiter(redis_namespace, 5)
    grants: list[float] = []

    async def send(chat: int) -> None:
        await second.acquire(chat)
        grants.append(time.monotonic())

    try:
        waiting = [asyncio.create_task(send(chat)) for chat in range(6)]  # a queue at 5 a second
        await until(lambda: len(grants) >= 1)
        paused_at = time.monotonic()
        await first.pause(1.5)  # another worker met a 429
        await asyncio.gather(*waiting)
        assert second.paused_for() == 0
    finally:
        await first.close()
        await second.close()
    after = [at for at in grants if at > paused_at + 0.01]  # 10 ms: the pause's own round trip
    assert after and min(after) >= paused_at + 1.5 - 0.01, "the other worker's waiting sends waited too"


async def test_without_redis_sends_wait_rather_than_break_the_limit() -> None:
    limiter = RedisLimiter.from_url(f"redis://127.0.0.1:{free_port()}/0", 1, Limits())
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(limiter.acquire(1), 1.5)
    finally:
        await limiter.close()


# --- paid broadcast ----------------------------------------------------------------------------


async def test_paid_broadcast_sends_bulk_at_the_paid_rate(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker
) -> None:
    async with emulated(limits=True, rate=10, paid_rate=200) as (emu, bot):
        people = await accounts_for(session, emu, 63)
        for person_id, _chat in people[:60]:
            queue(session, person_id, 0, lane="bulk", category="summaries")
        for person_id, _chat in people[60:]:
            queue(session, person_id, 0)
        await session.commit()
        worker = DeliveryWorker(
            bot, sessionmaker, rate=10, paid_rate=200, limiter=LocalLimiter(Limits(10, paid_rate=200, margin=ROOMY))
        )
        await drain(worker, sessionmaker)
    assert emu.too_many == 0 and emu.paid == 60
    paid = {m["chat_id"] for method, m in emu.calls if method == "sendMessage" and m.get("allow_paid_broadcast")}
    assert paid == {chat for _p, chat in people[:60]}, "bulk pushes carry allow_paid_broadcast, real-time ones not"
    assert emu.busiest_second() > 10, "more than the free rate went in a second"


def test_paid_broadcast_rate_setting() -> None:
    assert Settings(_env_file=None).paid_broadcast_rate is None  # type: ignore[call-arg]
    assert Settings(_env_file=None, paid_broadcast_rate="").paid_broadcast_rate is None  # type: ignore[call-arg]
    assert Settings(_env_file=None, paid_broadcast_rate="1000").paid_broadcast_rate == 1000  # type: ignore[call-arg]
    for bad in ("0", "1001", "fast"):
        with pytest.raises(ValidationError) as error:
            Settings(_env_file=None, paid_broadcast_rate=bad)  # type: ignore[call-arg]
        assert describe_error(error.value, "ru") == (
            "PAID_BROADCAST_RATE: ожидается число сообщений в секунду от 1 до 1000 или пустое значение, "
            "если платная рассылка не нужна."
        )
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, delivery_outage_hours="0")  # type: ignore[call-arg]
    assert describe_error(error.value, "en") == "DELIVERY_OUTAGE_HOURS: expected hours from 1 to 168, e.g. 12."


# --- "None means off" ------------------------------------------------------------------------


async def test_no_quiet_hours_stays_none_however_the_preference_is_made(
    demo: None, session: AsyncSession, sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    night = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 23:00 in Barnaul
    running_from(monkeypatch, night)
    async with emulated(limits=True) as (emu, bot):
        people = await accounts_for(session, emu, 3)  # with the default quiet hours
        accounts = list(await session.scalars(select(TelegramAccount.id).order_by(TelegramAccount.id)))
        await session.execute(
            Preference.__table__.delete().where(Preference.account_id.in_(accounts[1:]))  # type: ignore[attr-defined]
        )
        session.add(Preference(account_id=accounts[1], quiet_from=None, quiet_to=None))  # as an object
        await session.execute(insert(Preference), [{"account_id": accounts[2], "quiet_from": None, "quiet_to": None}])
        for person_id, _chat in people:
            queue(session, person_id, 0, due=night)
        await session.commit()
        await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    by_account = select(Preference.quiet_from, Preference.quiet_to).order_by(Preference.account_id)
    quiet = [tuple(row) for row in await session.execute(by_account)]
    assert quiet[0] == QUIET_HOURS
    assert quiet[1:] == [(None, None), (None, None)]
    assert [len(emu.texts(chat)) for _p, chat in people] == [0, 1, 1], "held at night only where quiet hours are on"
