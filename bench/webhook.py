"""Webhook benchmark (issue 11): attendance taps and grade entries posted by the emulator as webhook
updates to real `diary-bot run --role web --webhook` processes, with Redis for the update gate and
the conversation state, on PostgreSQL. Prints p50/p99 of the webhook answer one update at a time
(the handler's latency: `handle_in_background=False` answers when it is done), updates/s with
`--width` waiting (Telegram's max_connections), and the web processes' CPU per update, for one and
for two web processes sharing the port (SO_REUSEPORT). The teachers are the demo school's, each in
a chat of their own; one chat's updates are handled in order, so with few chats the updates waiting
queue behind their chat's turn.

    uv run python bench/webhook.py [--updates 3000] [--processes 1 2] [--width 40] [--floor]

`--floor` runs, in place of the bot, a web process with the same HTTP path and the same reply as
an attendance tap and nothing of the diary: the ceiling aiohttp, aiogram and the Bot API calls set.

The clock of the web processes is the demo timetable's Monday at 14:00 (this file starts them with
`bot <args>` and freezes the clock before handing over to the real command line), so the lessons
are open at any hour the bench runs. Redis is a private server started for the run.
"""

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The project before bench/: bench/handlers.py must not stand in for the handlers package.
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 14:00 in Barnaul: most lessons of the demo Monday begun
TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
FIRST_CHAT = 7001
WARM, ALONE = 200, 300  # presses to warm up, and presses one at a time for the latency


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_process_main(argv: list[str]) -> None:
    """A web process of the bot whose clock stands at the demo Monday, 14:00."""
    sys.path[:] = [p for p in sys.path if Path(p).resolve() != ROOT / "bench"]
    from services import clock

    clock.now = lambda: MONDAY  # type: ignore[assignment]
    from bot.launch import main

    sys.argv = ["diary-bot", *argv]
    if profile := os.environ.get("BENCH_PROFILE"):  # where the web process's cProfile goes
        import cProfile

        cProfile.runctx("main()", globals(), {"main": main}, f"{profile}.{os.getpid()}")
    else:
        main()


@asynccontextmanager
async def private_redis() -> AsyncIterator[str]:
    """A Redis server of the run's own: the gate's and the state's keys start empty."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            await asyncio.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


class Setup:
    """The demo school's teachers with a lesson open at the bench's Monday, each with an account."""

    def __init__(self) -> None:
        self.taps: list[tuple[int, str]] = []  # (chat, callback data) of attendance toggles
        self.entries: list[tuple[int, str]] = []  # (chat, callback data) of grade entries

    async def load(self, url: str, updates: int) -> None:
        import random

        from common import DEMO, analyze
        from sqlalchemy import select

        from handlers.callbacks import AttCb, GradeCb
        from models import Person, Preference, RoleGrant, SchoolClass, TelegramAccount
        from models.db import make_engine, make_sessionmaker
        from services import clock, grades
        from services.class_lists import lesson_students
        from services.journal_policy import has_started
        from services.lessons import lessons_of_teacher, school_of
        from services.roster import import_roster

        clock.now = lambda: MONDAY  # type: ignore[assignment]
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session:
            await import_roster(session, DEMO)
            teachers = list(
                await session.scalars(
                    select(Person).where(Person.id.in_(select(RoleGrant.person_id).where(RoleGrant.role == "teacher")))
                )
            )
            chats: list[int] = []
            taps: list[list[tuple[int, str]]] = []
            entries: list[list[tuple[int, str]]] = []
            for teacher in teachers:
                today = [
                    lesson
                    for lesson in await lessons_of_teacher(session, teacher, MONDAY.date())
                    if has_started(await school_of(session, lesson), lesson)
                ]
                if not today:
                    continue
                chat = FIRST_CHAT + len(chats)
                account = TelegramAccount(
                    telegram_user_id=chat, chat_id=chat, person_id=teacher.id, locale="ru", scope="all"
                )
                session.add(account)
                await session.flush()
                session.add(Preference(account_id=account.id, quiet_from=None, quiet_to=None))
                chats.append(chat)
                lesson = today[0]
                students = [s.id for s, _p in await lesson_students(session, lesson)]
                taps.append([(chat, AttCb(lesson=lesson.id, op="t", student=s).pack()) for s in students])
                work_type = (await grades.work_types(session, teacher.school_id))[0].id
                # Grades go into the teacher's lessons of the last two weeks, a few to a lesson, as
                # in a real journal: not thousands into one lesson.
                slots = []
                for back in range(14):
                    for taught in await lessons_of_teacher(session, teacher, MONDAY.date() - timedelta(days=back)):
                        if not (await session.get(SchoolClass, taught.class_id)).grading:  # type: ignore[union-attr]
                            continue  # the first grade takes no grades
                        if back or has_started(await school_of(session, taught), taught):
                            slots += [(taught.id, s.id) for s, _p in await lesson_students(session, taught)]
                random.Random(chat).shuffle(slots)
                if slots:
                    entries.append(
                        [
                            (chat, GradeCb(lesson=lid, op="w", student=sid, value=2 + n % 4, wt=work_type).pack())
                            for n, (lid, sid) in enumerate(slots)
                        ]
                    )
            await session.commit()
        await analyze(engine)
        await engine.dispose()
        self.chats = chats
        print(f"{len(chats)} teachers with a lesson under way, each in a chat of their own", flush=True)
        # Round robin over the teachers: many chats at once, as at a school's break.
        self.taps = [taps[n % len(taps)][(n // len(taps)) % len(taps[n % len(taps)])] for n in range(updates)]
        self.entries = [
            entries[n % len(entries)][(n // len(entries)) % len(entries[n % len(entries)])] for n in range(updates)
        ]


class TimedEmulator:
    """The emulator with the time each webhook post took, first try to its 200."""

    def __init__(self) -> None:
        from devtools.emulator import Emulator

        self.emulator = Emulator(limits=False)
        self.latencies: list[float] = []
        original = self.emulator._post_update

        async def timed(http: Any, target: Any, update: dict[str, Any]) -> None:
            started = time.perf_counter()
            await original(http, target, update)
            self.latencies.append((time.perf_counter() - started) * 1000)

        self.emulator._post_update = timed  # type: ignore[method-assign]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(tel: TimedEmulator, presses: list[tuple[int, str]], anchors: dict[int, int], width: int) -> float:
    """Press the buttons, keeping about `width` updates waiting, and wait until all are answered."""
    emulator = tel.emulator
    started = time.perf_counter()
    last = 0
    for chat, data in presses:
        while len(emulator.pending) >= width:
            async with emulator.changed:
                await emulator.changed.wait_for(lambda: len(emulator.pending) < width)
        last = await emulator.press(chat, anchors[chat], data)
    async with emulator.changed:
        try:
            await asyncio.wait_for(emulator.changed.wait_for(lambda: not emulator.pending), 120)
        except TimeoutError:
            stuck, retries = emulator.pending[:3], emulator.webhook_retries
            raise SystemExit(f"{len(emulator.pending)} updates unanswered after {retries} retries: {stuck}") from None
    del last
    return time.perf_counter() - started


async def run(updates: int, processes: list[int], width: int, floor: bool = False) -> None:
    from common import fresh_database
    from sqlalchemy import func, select

    from devtools.emulator import serve
    from models import Grade
    from models.db import make_engine

    for count in processes:
        async with fresh_database() as url, private_redis() as redis_url:
            setup = Setup()
            await setup.load(url, WARM + ALONE + updates)
            tel = TimedEmulator()
            api_port, web_port = free_port(), free_port()
            runner = await serve(tel.emulator, "127.0.0.1", api_port)
            env = {
                **os.environ,
                "BOT_TOKEN": TOKEN,
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "TELEGRAM_API_URL": f"http://127.0.0.1:{api_port}",
                "WEBHOOK_URL": f"http://127.0.0.1:{web_port}/telegram",
                "WEB_PORT": str(web_port),
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "text",
            }
            procs = [
                subprocess.Popen(
                    [sys.executable, __file__, *(["floor-process"] if floor else ["bot", "run", "--role", "web"])],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=open(f"/tmp/webhook-bench-{n}.log", "w"),  # noqa: SIM115
                )
                for n in range(count)
            ]
            try:
                async with asyncio.timeout(180):
                    while tel.emulator.webhook is None:
                        await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)  # every process listening
                # Each teacher has a message of the bot's to press on, as after /today.
                anchors: dict[int, int] = {}
                for chat in setup.chats:
                    await tel.emulator.say(chat, "/today", language_code="ru")
                    anchors[chat] = tel.emulator.last(chat)["message_id"]
                kinds = [("attendance toggle", setup.taps), ("grade entry", setup.entries)]
                for name, presses in kinds[:1] if floor else kinds:
                    warm, alone, many = presses[:WARM], presses[WARM : WARM + ALONE], presses[WARM + ALONE :]
                    await drive(tel, warm, anchors, width)  # imports, statement caches, connections
                    tel.latencies.clear()
                    await drive(tel, alone, anchors, 1)  # one at a time: the handler's own latency
                    ordered = sorted(tel.latencies)
                    retries = tel.emulator.webhook_retries
                    cpu_before = sum(cpu_seconds(p.pid) for p in procs)
                    seconds = await drive(tel, many, anchors, width)
                    cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu_before
                    refusals = [a for a in tel.emulator.callback_answers if a.get("show_alert")]
                    what = " without the diary" if floor else ""
                    print(
                        f"{count} web process{'es' if count > 1 else ''}{what}, {name}: "
                        f"one at a time p50 {statistics.median(ordered):.1f} ms, "
                        f"p99 {ordered[int(len(ordered) * 0.99)]:.1f} ms; "
                        f"{len(many) / seconds:.0f} updates/s with {width} waiting, "
                        f"{cpu / len(many) * 1000:.2f} ms of web-process CPU an update, "
                        f"{tel.emulator.webhook_retries - retries} retried posts, {len(refusals)} refusals",
                        flush=True,
                    )
                    if refusals:
                        raise SystemExit(f"refused: {refusals[0]}")
                if floor:
                    continue
                engine = make_engine(url)
                async with engine.connect() as conn:
                    given = await conn.scalar(select(func.count()).select_from(Grade))
                await engine.dispose()
                # Every grade entry saved its grade: the rate is of work done, not of refusals.
                assert given == len(setup.entries), given
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    try:
                        proc.wait(30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                await tel.emulator.close()
                await runner.cleanup()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def floor_process_main() -> None:
    """The same HTTP path and the same reply as an attendance tap, without the diary: aiohttp's
    server, aiogram's update model and dispatcher, and the two Bot API calls of a tap (the answer
    and the sheet of 28 buttons edited in place). No database, no Redis, no middleware: what a tap
    costs before the bot does anything of its own."""
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    from bot import event_loop
    from bot.api_session import JsonSession
    from handlers.callbacks import AttCb, AttOp
    from handlers.keyboards import Keyboard

    router = Router()
    taps = itertools.count()

    @router.message()
    async def anchor(message: Message) -> None:
        await message.answer("Сегодня")

    @router.callback_query()
    async def tap(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        kb = Keyboard()
        for n in range(28):
            kb.button(text=f"✅ Фамилия{n} И.", callback_data=AttCb(lesson=1, op=AttOp.TOGGLE, student=n + 1))
        kb.button(text="Все присутствуют", callback_data=AttCb(lesson=1, op=AttOp.ALL_PRESENT))
        kb.button(text="💾 Сохранить", callback_data=AttCb(lesson=1, op=AttOp.SAVE))
        kb.button(text="Отмена", callback_data=AttCb(lesson=1, op=AttOp.CANCEL))
        kb.adjust(*([2] * 14), 1, 2)
        await query.answer()
        text = f"Посещаемость: 5А, пн 23 ноября, урок 3\nОтсутствуют: 0 ({next(taps)})"  # never the same twice
        await query.message.edit_text(text, reply_markup=kb.as_markup())

    async def serve() -> None:
        bot = Bot(TOKEN, session=JsonSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])))
        dp = Dispatcher()
        dp.include_router(router)
        app = web.Application()
        SimpleRequestHandler(dp, bot, handle_in_background=False).register(app, path="/telegram")
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", int(os.environ["WEB_PORT"])).start()
        await bot.set_webhook(os.environ["WEBHOOK_URL"], allowed_updates=["message", "callback_query"])
        await asyncio.Event().wait()

    event_loop.run(serve())


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "bot":
        bot_process_main(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "floor-process":
        floor_process_main()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--width", type=int, default=40, help="updates waiting at once, as Telegram's max_connections")
    parser.add_argument("--floor", action="store_true", help="the HTTP path and replies of a tap without the diary")
    args = parser.parse_args()
    from bot import event_loop

    event_loop.run(run(args.updates, args.processes, args.width, args.floor))


if __name__ == "__main__":
    main()
