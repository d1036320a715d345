"""Delivery benchmark (DESIGN.md §4): the engine's ceiling with the limits off, and the achieved rate,
429s and duplicates under Telegram's limits, with real-time pushes' lateness during a broadcast; then
several worker processes draining one broadcast through the limiter in Redis, at 30/s and with paid
broadcast at 1,000/s (the rate, and the workers' CPU per message).

    uv run python bench/delivery.py [--ceiling N] [--limited N] [--workers 2 4] [--shared N]
                                    [--paid N] [--paid-workers 1 2]

Runs on PostgreSQL (BENCH_DATABASE_URL, default the local server) and Redis (BENCH_REDIS_URL, default
the local server) against the emulator in its own process; each worker is a process of its own.
"""

import argparse
import asyncio
import json
import os
import resource
import secrets
import socket
import sys
import time
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from common import ROOT, analyze, emulator_process, emulator_stats, fresh_database, peak_rss_mib
from sqlalchemy import func, insert, select

from bot import event_loop
from bot.api_session import JsonSession
from bot.delivery import DeliveryWorker
from bot.rate_limit import Limits, RedisLimiter
from models import Notification, Person, Preference, School, TelegramAccount
from models.db import make_engine, make_sessionmaker

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


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
        # Every value the worker checks is set here, none left to a default: a default of quiet
        # hours 21:00–07:30 once held every push of a run made at night.
        flags = dict.fromkeys(("push_grades", "push_absences", "push_homework", "push_summaries"), True)
        flags.update(push_reminders=True, push_notes=True, quiet_from=None, quiet_to=None)
        await session.execute(insert(Preference), [{"account_id": a, **flags} for a in accounts])
        quiet = await session.scalar(
            select(func.count()).select_from(Preference).where(Preference.quiet_from.is_not(None))
        )
        if quiet:
            raise RuntimeError(f"{quiet} bench accounts got quiet hours: the run would measure them")
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
                select(func.count()).select_from(Notification).where(Notification.outcome_unknown.is_(True))
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


async def worker_process(url: str, api: str, namespace: str, rate: float, paid: float | None) -> None:
    """One worker in its own process, as `diary-bot run --role worker` is: the bot's limits in Redis.
    It stops when the queue is empty and prints what it did as one line of JSON."""
    engine = make_engine(url, pool_size=10)
    sessionmaker = make_sessionmaker(engine)
    bot = Bot(TOKEN, session=JsonSession(api=TelegramAPIServer.from_base(api), limit=100))
    limiter = RedisLimiter.from_url(REDIS_URL, bot.id, Limits(rate, 1.0, paid), namespace=namespace)
    worker = DeliveryWorker(bot, sessionmaker, rate=rate, paid_rate=paid, limiter=limiter, batch=500)
    worker.owns_limiter = True
    cpu = cpu_seconds()
    await run_worker(worker, sessionmaker, 900)
    cpu = cpu_seconds() - cpu
    await bot.session.close()
    await engine.dispose()
    print(json.dumps({"cpu": cpu, "messages": worker.stats["messages"], "429": worker.stats["429"]}), flush=True)


async def shared(count: int, workers: int, *, paid: float | None = None) -> None:
    """`workers` processes drain one broadcast of `count` bulk pushes against Telegram's limits."""
    async with fresh_database() as url, emulator_process(free_port(), limits=True) as api:
        engine = make_engine(url, pool_size=5)
        sessionmaker = make_sessionmaker(engine)
        ids = await people(sessionmaker, count)
        async with sessionmaker() as session:
            await session.execute(insert(Notification), rows(ids, lane="bulk", tag="s", due=datetime.now(UTC)))
            await session.commit()
        await analyze(engine)
        namespace = f"diary-bench-{secrets.token_hex(4)}"
        argv = [url, api, namespace, "30", str(paid or "")]
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--worker-process", *argv, cwd=ROOT, stdout=asyncio.subprocess.PIPE
            )
            for _ in range(workers)
        ]
        outputs = [
            json.loads((await process.communicate())[0].decode().strip().splitlines()[-1]) for process in processes
        ]
        stats = await emulator_stats(api)
        async with sessionmaker() as session:
            sent = await session.scalar(
                select(func.count()).select_from(Notification).where(Notification.status == "sent")
            )
            unknown = await session.scalar(
                select(func.count()).select_from(Notification).where(Notification.outcome_unknown.is_(True))
            )
        await engine.dispose()
    rate = (stats["delivered"] - 1) / stats["span"]
    limit = paid or 30
    cpu = sum(o["cpu"] for o in outputs)
    shares = "/".join(str(o["messages"]) for o in outputs)
    print(
        f"{workers} worker processes{' with paid broadcast at ' + str(int(paid)) + '/s' if paid else ''}: "
        f"{stats['delivered']} messages ({shares} by worker), first to last message {rate:.1f} messages/s "
        f"({rate / limit:.1%} of {int(limit)}/s); 429s answered {stats['too_many']}; duplicates "
        f"{stats['delivered'] - sent} (unknown-outcome resends {unknown}); sent as paid {stats['paid']}; "
        f"the workers used {cpu:.1f} s of CPU = {cpu / stats['delivered'] * 1e6:.0f} µs a message "
        f"({stats['delivered'] / cpu:.0f} messages per CPU second)"
    )


def main() -> None:
    if sys.argv[1:2] == ["--worker-process"]:
        url, api, namespace, rate, paid = sys.argv[2:7]
        event_loop.run(worker_process(url, api, namespace, float(rate), float(paid) if paid else None))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--ceiling", type=int, default=10_000, help="pushes for the ceiling run (0 skips it)")
    parser.add_argument("--limited", type=int, default=900, help="broadcast size under the limits (0 skips it)")
    parser.add_argument("--workers", type=int, nargs="*", default=[2, 4], help="worker processes sharing the limits")
    parser.add_argument("--shared", type=int, default=900, help="broadcast size for the shared runs (0 skips them)")
    parser.add_argument("--paid", type=int, default=20_000, help="broadcast size at the paid rate (0 skips it)")
    parser.add_argument("--paid-workers", type=int, nargs="*", default=[1, 2], help="worker processes, paid runs")
    args = parser.parse_args()
    if args.ceiling:
        event_loop.run(ceiling(args.ceiling))
    if args.limited:
        event_loop.run(limited(args.limited))
    for workers in args.workers if args.shared else []:
        event_loop.run(shared(args.shared, workers))
    for workers in args.paid_workers if args.paid else []:
        event_loop.run(shared(args.paid, workers, paid=1000))


if __name__ == "__main__":
    main()
