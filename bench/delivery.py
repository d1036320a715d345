"""Delivery benchmark (DESIGN.md §4): the engine's ceiling with the limits off, and the achieved rate,
429s and duplicates under Telegram's limits, with real-time pushes' lateness during a broadcast.

    uv run python bench/delivery.py [--ceiling N] [--limited N]

Runs on PostgreSQL (BENCH_DATABASE_URL, default the local server) against the emulator in its own process.
"""

import argparse
import asyncio
import resource
import socket
import time
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from common import analyze, emulator_process, emulator_stats, fresh_database, peak_rss_mib
from sqlalchemy import func, insert, select

from bot import event_loop
from bot.api_session import JsonSession
from bot.delivery import DeliveryWorker
from models import Notification, Person, Preference, School, TelegramAccount
from models.db import make_engine, make_sessionmaker

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def people(sessionmaker, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """`count` consenting people with linked accounts and no quiet hours; returns person ids."""
    now = datetime.now(UTC)
    async with sessionmaker() as session:
        school = School(external_id="B1", name="Bench", timezone="UTC")
        session.add(school)
        await session.flush()
        await session.execute(
            insert(Person),
            [
                {
                    "school_id": school.id,
                    "last_name": "Тестов",
                    "first_name": f"№{n}",
                    "parent_ref": f"R{n}",
                    "active": True,
                    "consent_at": now,
                    "created_at": now,
                }
                for n in range(count)
            ],
        )
        ids = list(await session.scalars(select(Person.id).order_by(Person.id)))
        await session.execute(
            insert(TelegramAccount),
            [
                {
                    "telegram_user_id": 10_000_000 + n,
                    "chat_id": 10_000_000 + n,
                    "person_id": pid,
                    "locale": "ru",
                    "created_at": now,
                }
                for n, pid in enumerate(ids)
            ],
        )
        accounts = list(await session.scalars(select(TelegramAccount.id)))
        await session.execute(
            insert(Preference), [{"account_id": a, "quiet_from": None, "quiet_to": None} for a in accounts]
        )
        await session.commit()
    return ids


def rows(person_ids: list[int], *, lane: str, tag: str, due: datetime) -> list[dict]:  # type: ignore[type-arg]
    return [
        {
            "person_id": pid,
            "category": "absences",
            "kind": "reason_given",
            "lane": lane,
            "due_at": due,
            "payload": {"on_date": "2026-11-23", "reason": "illness"},
            "topic": f"{tag}:{pid}",
            "dedup_key": f"{tag}:{pid}",
            "status": "pending",
            "attempts": 0,
            "created_at": due,
        }
        for pid in person_ids
    ]


async def drained(sessionmaker) -> bool:  # type: ignore[no-untyped-def]
    # An index probe, not a count: the poll must not load the database the worker is measured on.
    async with sessionmaker() as session:
        left = await session.scalar(
            select(Notification.id).where(Notification.status.in_(("pending", "claimed"))).limit(1)
        )
    return left is None


async def run_worker(worker: DeliveryWorker, sessionmaker, timeout: float) -> float:  # type: ignore[no-untyped-def]
    task = asyncio.create_task(worker.run())
    started = time.perf_counter()
    while not await drained(sessionmaker):
        if time.perf_counter() - started > timeout:
            break
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - started
    worker.stopping.set()
    await task
    return elapsed


async def ceiling(count: int) -> None:
    async with fresh_database() as url, emulator_process(free_port(), limits=False) as api:
        engine = make_engine(url, pool_size=10)
        sessionmaker = make_sessionmaker(engine)
        ids = await people(sessionmaker, count)
        async with sessionmaker() as session:
            await session.execute(insert(Notification), rows(ids, lane="realtime", tag="c", due=datetime.now(UTC)))
            await session.commit()
        await analyze(engine)
        bot = Bot(TOKEN, session=JsonSession(api=TelegramAPIServer.from_base(api), limit=100))
        worker = DeliveryWorker(bot, sessionmaker, rate=1_000_000, per_chat_interval=0, batch=500)
        cpu = cpu_seconds()
        elapsed = await run_worker(worker, sessionmaker, 600)
        cpu = cpu_seconds() - cpu
        stats = await emulator_stats(api)
        await bot.session.close()
        await engine.dispose()
    # The CPU time the worker's process used is the engine's own cost, whatever the emulator and
    # PostgreSQL on the other core, or a busy host, did to the wall clock meanwhile.
    print(
        f"ceiling (limits off): {worker.stats['pushes']} pushes, {stats['delivered']} messages in {elapsed:.1f} s "
        f"= {stats['delivered'] / elapsed:.0f} messages/s; the worker used {cpu:.1f} s of CPU = "
        f"{stats['delivered'] / cpu:.0f} messages per CPU second; worker process peak RSS {peak_rss_mib():.0f} MiB"
    )


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def limited(count: int) -> None:
    async with fresh_database() as url, emulator_process(free_port(), limits=True) as api:
        engine = make_engine(url, pool_size=10)
        sessionmaker = make_sessionmaker(engine)
        ids = await people(sessionmaker, count + 50)
        broadcast, live = ids[:count], ids[count:]
        now = datetime.now(UTC)
        async with sessionmaker() as session:
            await session.execute(insert(Notification), rows(broadcast, lane="bulk", tag="b", due=now))
            await session.commit()
        await analyze(engine)
        bot = Bot(TOKEN, session=JsonSession(api=TelegramAPIServer.from_base(api)))
        worker = DeliveryWorker(bot, sessionmaker, rate=30, batch=100)
        task = asyncio.create_task(run_worker(worker, sessionmaker, 900))
        # Real-time pushes fall due one by one while the broadcast is under way.
        for n, pid in enumerate(live):
            await asyncio.sleep(0.2)
            async with sessionmaker() as session:
                await session.execute(
                    insert(Notification), rows([pid], lane="realtime", tag=f"r{n}", due=datetime.now(UTC))
                )
                await session.commit()
        elapsed = await task
        stats = await emulator_stats(api)
        async with sessionmaker() as session:
            sent = await session.scalar(
                select(func.count()).select_from(Notification).where(Notification.status == "sent")
            )
            lateness = [
                (s - d).total_seconds()
                for s, d in await session.execute(
                    select(Notification.sent_at, Notification.due_at).where(Notification.lane == "realtime")
                )
            ]
            unknown = await session.scalar(
                select(func.count()).select_from(Notification).where(Notification.last_error.like("outcome unknown%"))
            )
        await bot.session.close()
        await engine.dispose()
    rate = stats["delivered"] / elapsed
    held = (stats["delivered"] - 1) / stats["span"]
    print(
        f"under the limits: {stats['delivered']} messages in {elapsed:.1f} s = {rate:.1f} messages/s "
        f"({rate / 30:.1%} of 30/s, start-up included); first to last message {held:.1f} messages/s "
        f"({held / 30:.1%}); 429s answered {stats['too_many']}; duplicates "
        f"{stats['delivered'] - sent} (unknown-outcome resends {unknown}); real-time lateness during the "
        f"broadcast: max {max(lateness):.1f} s, mean {sum(lateness) / len(lateness):.1f} s over {len(lateness)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ceiling", type=int, default=10_000, help="pushes for the ceiling run (0 skips it)")
    parser.add_argument("--limited", type=int, default=900, help="broadcast size under the limits (0 skips it)")
    args = parser.parse_args()
    if args.ceiling:
        event_loop.run(ceiling(args.ceiling))
    if args.limited:
        event_loop.run(limited(args.limited))


if __name__ == "__main__":
    main()
