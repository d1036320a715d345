"""Handler benchmark (DESIGN.md §4): an attendance toggle and a grade entry through the real
Dispatcher, middlewares, services and PostgreSQL, in process; Telegram's side is answered in
memory, so the figures are the bot's own. Prints p50/p99 latency one at a time, and updates/s
with many in flight.

    uv run python bench/handlers.py [--updates 2000]
"""

import argparse
import asyncio
import itertools
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from common import DEMO, QueryCounter, analyze, fresh_database, peak_rss_mib
from sqlalchemy import func, select

from bot import event_loop
from bot.app import make_dispatcher
from handlers.callbacks import AttCb, GradeCb
from models import Grade, Person, Preference, TelegramAccount
from models.db import make_engine, make_sessionmaker
from services import clock, grades
from services.class_lists import lesson_students
from services.lessons import lessons_of_teacher
from services.roster import import_roster

MONDAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Barnaul, a school day of the demo timetable
TEACHER_CHAT = 5001


class AnsweredInMemory(BaseSession):
    """Telegram's side of the conversation, answered at once: what is measured is the bot."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.calls[type(method).__name__] += 1
        if getattr(method, "show_alert", None):  # a refusal: the run would measure the wrong thing
            raise AssertionError(getattr(method, "text", ""))
        if method.__returning__ is bool:
            return True
        chat = Chat(id=TEACHER_CHAT, type="private")
        return Message(message_id=1, date=datetime.now(UTC), chat=chat, text="ok")

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        """Nothing was opened, so there is nothing to close."""


def tap(n: int, data: str) -> Update:
    """A button press of the teacher's, as Telegram delivers it."""
    user = User(id=TEACHER_CHAT, is_bot=False, first_name="Учитель", language_code="ru")
    message = Message(message_id=10, date=MONDAY, chat=Chat(id=TEACHER_CHAT, type="private"), text="…")
    return Update(
        update_id=n,
        callback_query=CallbackQuery(id=str(n), from_user=user, chat_instance="bench", message=message, data=data),
    )


async def in_flight(dp: Dispatcher, bot: Bot, updates: list[Update], width: int) -> float:
    """Updates a second with `width` taps under way at once."""
    gate = asyncio.Semaphore(width)

    async def one(update: Update) -> None:
        async with gate:
            await dp.feed_update(bot, update)

    started = time.perf_counter()
    await asyncio.gather(*(one(u) for u in updates))
    return len(updates) / (time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def run(updates: int) -> None:
    clock.now = lambda: MONDAY  # type: ignore[assignment]  # the demo timetable's Monday, inside the edit window
    async with fresh_database() as url:
        engine = make_engine(url, pool_size=20)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            await import_roster(session, DEMO)
            teacher = await session.scalar(select(Person).where(Person.staff_ref == "S03"))
            assert teacher is not None
            account = TelegramAccount(
                telegram_user_id=TEACHER_CHAT, chat_id=TEACHER_CHAT, person_id=teacher.id, locale="ru", scope="all"
            )
            session.add(account)
            await session.flush()
            session.add(Preference(account_id=account.id))
            await session.commit()
            lesson = (await lessons_of_teacher(session, teacher, MONDAY.date()))[0]
            students = [s.id for s, _p in await lesson_students(session, lesson)]
            work_type = (await grades.work_types(session, teacher.school_id))[0].id
            # Grades go into the teacher's lessons of the last two weeks, a few to a lesson, as in a
            # real journal: not thousands into one lesson.
            slots = []
            for back in range(14):
                for taught in await lessons_of_teacher(session, teacher, MONDAY.date() - timedelta(days=back)):
                    slots += [(taught.id, s.id) for s, _p in await lesson_students(session, taught)]
            random.Random(1).shuffle(slots)
            await session.commit()
        await analyze(engine)
        telegram = AnsweredInMemory()
        bot = Bot("123456:BENCH-token-abcdefghijklmnopqrstuvwxyz", session=telegram)
        dp = make_dispatcher(sessionmaker)
        kinds = {
            "attendance toggle": lambda n: AttCb(lesson=lesson.id, op="t", student=students[n % len(students)]),
            "grade entry": lambda n: GradeCb(
                lesson=slots[n % len(slots)][0],
                op="w",
                student=slots[n % len(slots)][1],
                value=2 + n % 4,
                wt=work_type,
            ),
        }
        counter = itertools.count(1)
        for name, data in kinds.items():
            for n in range(50):  # warm-up: imports, statement caches, connections
                await dp.feed_update(bot, tap(next(counter), data(n).pack()))
            latencies = []
            queries = QueryCounter(engine)
            for n in range(updates):
                update = tap(next(counter), data(n).pack())
                started = time.perf_counter()
                await dp.feed_update(bot, update)
                latencies.append((time.perf_counter() - started) * 1000)
            per_update = queries.count / updates
            queries.stop()
            batch = [tap(next(counter), data(n).pack()) for n in range(updates)]
            rate = await in_flight(dp, bot, batch, 20)
            print(
                f"{name}: p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms "
                f"one at a time over {updates}, {per_update:.0f} queries each; {rate:.0f} updates/s with 20 in flight"
            )
        async with sessionmaker() as session:
            given = await session.scalar(select(func.count()).select_from(Grade))
        # Every tap did its work: each grade entry saved a grade, and no tap ended in an error message.
        assert given == 50 + 2 * updates, given
        assert telegram.calls["SendMessage"] == 0, telegram.calls
        await engine.dispose()
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    args = parser.parse_args()
    event_loop.run(run(args.updates))


if __name__ == "__main__":
    main()
