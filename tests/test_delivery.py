"""The delivery worker against the emulator with Telegram's limits on."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import DeliveryWorker
from bot.rate_limit import Limits, LocalLimiter
from devtools.emulator import Emulator
from models import Guardianship, Notification, Person, Preference, Student, TelegramAccount
from services import grades, preferences
from services.class_lists import lesson_students
from services.roles import load_viewer
from tests.conftest import http_bot, served
from tests.support.bot import drain, running_from
from tests.support.journal import MONDAY, act_as, lesson_of

# Monday 23 November 2026, 12:00 in Barnaul: outside quiet hours.
NOON = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


@pytest.fixture
def at_noon(monkeypatch: pytest.MonkeyPatch) -> None:
    running_from(monkeypatch, NOON)


@pytest.fixture
async def limited() -> AsyncIterator[tuple[Emulator, Bot]]:
    emu = Emulator(limits=True)
    async with served(emu) as url:
        bot = http_bot(url)
        yield emu, bot
        await bot.session.close()


async def accounts_for(session: AsyncSession, emu: Emulator, count: int) -> list[tuple[int, int]]:
    """(person id, chat id) for `count` consenting people with linked accounts."""
    people = list(await session.scalars(select(Person).order_by(Person.id).limit(count)))
    assert len(people) == count
    result = []
    for n, person in enumerate(people):
        chat = 900_000 + n
        person.consent_at = NOON
        account = TelegramAccount(telegram_user_id=chat, chat_id=chat, person_id=person.id, linked_at=NOON)
        session.add(account)
        await session.flush()
        session.add(Preference(account_id=account.id))
        emu.add_chat(chat)
        result.append((person.id, chat))
    await session.commit()
    return result


async def one_push(session: AsyncSession, emu: Emulator) -> tuple[int, int]:
    """(person id, chat id) of one consenting person with one push due now."""
    ((person_id, chat),) = await accounts_for(session, emu, 1)
    queue(session, person_id, 0)
    await session.commit()
    return person_id, chat


def queue(
    session: AsyncSession,
    person_id: int,
    n: int,
    *,
    kind: str = "reason_given",
    category: str = "absences",
    due: datetime = NOON,
    lane: str = "realtime",
) -> None:
    session.add(
        Notification(
            person_id=person_id,
            category=category,
            kind=kind,
            lane=lane,
            due_at=due,
            status="pending",
            payload={"on_date": "2026-11-23", "reason": "illness", "marker": f"{person_id}-{n}"},
            topic=f"test:{person_id}:{n}",
            dedup_key=f"test:{person_id}:{n}",
        )
    )


async def test_burst_of_300_to_100_chats_arrives_whole_without_429(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, limited
) -> None:
    emu, bot = limited
    people = await accounts_for(session, emu, 100)
    for person_id, _chat in people:
        for n in range(3):
            queue(session, person_id, n)
    await session.commit()
    # 90% of the limits: the emulator, in this process, sees sends late when the machine is busy,
    # and a few late ones arriving together would look like too many in a second.
    worker = DeliveryWorker(bot, sessionmaker, batch=100, limiter=LocalLimiter(Limits(30, margin=0.9)))
    started = asyncio.get_running_loop().time()
    await drain(worker, sessionmaker)
    elapsed = asyncio.get_running_loop().time() - started
    assert emu.too_many == 0
    assert (
        await session.scalar(select(func.count()).select_from(Notification).where(Notification.status == "sent")) == 300
    )
    for _person_id, chat in people:
        texts = emu.texts(chat)
        assert len(texts) == 1, "three pushes due together go as one message"
        assert texts[0].count("записан с причиной") == 3
    assert elapsed < 30


async def test_injected_429_pauses_and_requeues(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, limited
) -> None:
    emu, bot = limited
    people = await accounts_for(session, emu, 3)
    for person_id, _chat in people:
        queue(session, person_id, 0)
    await session.commit()
    emu.fail_next(429, "Too Many Requests: retry after 1", retry_after=1)
    worker = DeliveryWorker(bot, sessionmaker)
    await drain(worker, sessionmaker)
    assert worker.stats["429"] == 1
    assert all(len(emu.texts(chat)) == 1 for _p, chat in people), "nothing lost, nothing twice"


async def test_429_without_retry_after_still_pauses(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, limited
) -> None:
    emu, bot = limited
    _person_id, chat = await one_push(session, emu)
    emu.fail_next(429, "Too Many Requests")
    worker = DeliveryWorker(bot, sessionmaker, default_retry_after=1.0)
    await drain(worker, sessionmaker, timeout=30)
    assert worker.stats["429"] == 1 and len(emu.texts(chat)) == 1


async def test_blocked_account_is_marked_and_later_rows_skipped(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, limited
) -> None:
    emu, bot = limited
    person_id, chat = await one_push(session, emu)
    emu.block(chat)
    worker = DeliveryWorker(bot, sessionmaker)
    await drain(worker, sessionmaker)
    session.expire_all()
    account = await session.scalar(select(TelegramAccount).where(TelegramAccount.chat_id == chat))
    assert account.blocked_at is not None
    queue(session, person_id, 1)
    await session.commit()
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    statuses = list(await session.scalars(select(Notification.status).order_by(Notification.id)))
    assert statuses == ["skipped", "skipped"]


async def test_server_errors_back_off_then_deliver(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, limited
) -> None:
    emu, bot = limited
    _person_id, chat = await one_push(session, emu)
    emu.fail_next(500, "Internal Server Error")
    worker = DeliveryWorker(bot, sessionmaker)
    await drain(worker, sessionmaker)
    row = await session.scalar(select(Notification))
    await session.refresh(row)
    assert worker.stats["retried"] == 1
    assert row.status == "sent" and row.attempts == 2 and row.sent_at > NOON + timedelta(seconds=0.9)
    assert len(emu.texts(chat)) == 1


async def test_send_without_an_answer_goes_again_counted_as_unknown_outcome(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, limited
) -> None:
    emu, bot = limited
    _person_id, chat = await one_push(session, emu)
    emu.stall_next(2)  # delivered, but the answer comes after the worker stopped waiting
    worker = DeliveryWorker(bot, sessionmaker, send_timeout=1, unknown_retry=timedelta(seconds=1))
    await drain(worker, sessionmaker)
    row = await session.scalar(select(Notification))
    await session.refresh(row)
    assert worker.stats["unknown outcome"] == 1
    assert row.status == "sent" and row.outcome_unknown and row.last_error.startswith("outcome unknown")
    assert len(emu.texts(chat)) == 2, "a possible repeat, counted apart; nothing lost"


async def test_quiet_hours_hold_and_release_as_one_message(
    demo: None, session: AsyncSession, sessionmaker, limited, monkeypatch
) -> None:
    emu, bot = limited
    night = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 23:00 in Barnaul
    running_from(monkeypatch, night)
    ((person_id, chat),) = await accounts_for(session, emu, 1)
    queue(session, person_id, 0, due=night)
    queue(session, person_id, 1, due=night + timedelta(hours=2))
    await session.commit()
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    assert emu.texts(chat) == []
    running_from(monkeypatch, night + timedelta(hours=8, minutes=31))  # 07:31
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    assert len(emu.texts(chat)) == 1 and emu.texts(chat)[0].count("записан с причиной") == 2


async def test_turning_quiet_hours_off_releases_what_they_held(
    demo: None, session: AsyncSession, sessionmaker, limited, monkeypatch
) -> None:
    emu, bot = limited
    night = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 23:00 in Barnaul
    running_from(monkeypatch, night)
    ((person_id, chat),) = await accounts_for(session, emu, 1)
    queue(session, person_id, 0, due=night)
    await session.commit()
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    assert emu.texts(chat) == [], "held for the morning"
    account = await session.scalar(select(TelegramAccount).where(TelegramAccount.telegram_user_id == chat))
    viewer = await load_viewer(session, chat)
    assert account is not None and viewer.person is not None
    await preferences.set_quiet(session, viewer, None, None)
    await session.commit()
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    assert len(emu.texts(chat)) == 1, "released at once, not at 07:30"


async def test_preferences_and_consent_filter_recipients(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, limited
) -> None:
    emu, bot = limited
    (first, chat1), (second, chat2) = await accounts_for(session, emu, 2)
    account = await session.scalar(select(TelegramAccount).where(TelegramAccount.chat_id == chat1))
    await session.execute(update(Preference).where(Preference.account_id == account.id).values(push_absences=False))
    await session.execute(update(Person).where(Person.id == second).values(consent_at=None))
    queue(session, first, 0)
    queue(session, second, 0)
    await session.commit()
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    assert emu.texts(chat1) == [] and emu.texts(chat2) == []
    reasons = list(await session.scalars(select(Notification.last_error).order_by(Notification.id)))
    assert reasons == ["turned off", "no consent"]


async def test_worker_cancelled_mid_batch_loses_and_duplicates_nothing(
    demo: None, at_noon: None, session: AsyncSession, sessionmaker, limited, monkeypatch
) -> None:
    emu, bot = limited
    people = await accounts_for(session, emu, 40)
    for person_id, _chat in people:
        queue(session, person_id, 0)
    await session.commit()
    first = DeliveryWorker(bot, sessionmaker)
    task = asyncio.create_task(first.run())
    while first.stats["pushes"] < 10:
        await asyncio.sleep(0.05)
    task.cancel()  # the worker dies mid-batch; its claimed rows keep their lease
    with pytest.raises(asyncio.CancelledError):
        await task
    running_from(monkeypatch, NOON + timedelta(minutes=5))  # the lease has passed
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    counts = [len(emu.texts(chat)) for _p, chat in people]
    assert all(c >= 1 for c in counts), "nothing lost"
    duplicates = sum(c - 1 for c in counts)
    unknown = await session.scalar(
        select(func.count()).select_from(Notification).where(Notification.last_error.like("outcome unknown%"))
    )
    # A send cut off mid-flight may have reached Telegram; only those may repeat.
    assert duplicates <= 1 + (unknown or 0)


async def test_grade_reaches_student_and_both_parents_after_grace_in_their_languages(
    demo: None, session: AsyncSession, sessionmaker, limited, monkeypatch
) -> None:
    emu, bot = limited
    running_from(monkeypatch, MONDAY)
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    in_lesson = {s.id for s, _p in await lesson_students(session, lesson)}
    pairs = (
        await session.execute(
            select(Guardianship.student_id, func.count()).group_by(Guardianship.student_id).having(func.count() == 2)
        )
    ).all()
    student = next(sid for sid, _n in pairs if sid in in_lesson)
    family = [await session.scalar(select(Student.person_id).where(Student.id == student))]
    family += list(await session.scalars(select(Guardianship.parent_id).where(Guardianship.student_id == student)))
    chats = {}
    for n, (person_id, locale) in enumerate(zip(family, ("ru", "en", "ru"), strict=True)):
        person = await session.get(Person, person_id)
        person.consent_at = MONDAY
        account = TelegramAccount(telegram_user_id=800 + n, chat_id=800 + n, person_id=person_id, locale=locale)
        session.add(account)
        await session.flush()
        session.add(Preference(account_id=account.id))
        emu.add_chat(800 + n)
        chats[800 + n] = locale
    await session.commit()
    teacher = await act_as(session, "S03")
    await grades.add(session, teacher, lesson.id, student, 5)
    await session.commit()
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    assert all(emu.texts(chat) == [] for chat in chats), "the grace period holds the push"
    running_from(monkeypatch, MONDAY + timedelta(minutes=2))
    await grades.add(session, teacher, lesson.id, student, 3)  # a second grade inside the grace period
    await session.commit()
    running_from(monkeypatch, MONDAY + timedelta(minutes=4))
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    assert all(emu.texts(chat) == [] for chat in chats), "the first grade waits for the second"
    running_from(monkeypatch, MONDAY + timedelta(minutes=6))
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    for chat, locale in chats.items():
        (message,) = emu.bot_messages(chat)  # both grades in one message
        # the student (chat 800) reads his own grades in the second person, his parents name him
        new = (
            "Тебе поставили {} по предмету «Математика»" if chat == 800 else "новая оценка {} по предмету «Математика»"
        )
        expected = new.format(5) if locale == "ru" else "a new grade 5 in Математика"
        assert expected in message["text"], message["text"]
        average = (
            "Средний балл по предмету «Математика» за период «2 четверть»: 4,00"
            if locale == "ru"
            else ("Average in Математика for 2 четверть: 4.00")
        )
        second = new.format(3) if locale == "ru" else "a new grade 3 in Математика"
        assert average in message["text"] and second in message["text"], message["text"]
        assert message.get("has_protected_content") is True


async def test_changed_and_removed_grades_carry_the_new_average(
    demo: None, session: AsyncSession, sessionmaker, limited, monkeypatch
) -> None:
    emu, bot = limited
    running_from(monkeypatch, MONDAY)
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    (student, person), *_ = await lesson_students(session, lesson)
    person.consent_at = MONDAY
    account = TelegramAccount(telegram_user_id=810, chat_id=810, person_id=person.id, locale="en")
    session.add(account)
    await session.flush()
    session.add(Preference(account_id=account.id))
    emu.add_chat(810)
    await session.commit()
    teacher = await act_as(session, "S03")
    five = await grades.add(session, teacher, lesson.id, student.id, 5)
    await session.commit()
    three = await grades.add(session, teacher, lesson.id, student.id, 3)
    await session.commit()
    running_from(monkeypatch, MONDAY + timedelta(minutes=10))
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    assert "Average in Математика for 2 четверть: 4.00" in emu.texts(810)[-1]

    await grades.change(session, teacher, three.id, value=4)
    await session.commit()
    running_from(monkeypatch, MONDAY + timedelta(minutes=20))
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    changed = emu.texts(810)[-1]
    assert "Your grade in Математика of" in changed and "is changed to 4" in changed, changed  # the student's own
    assert "Average in Математика for 2 четверть: 4.50" in changed

    await grades.delete(session, teacher, five.id)
    await session.commit()
    running_from(monkeypatch, MONDAY + timedelta(minutes=30))
    await drain(DeliveryWorker(bot, sessionmaker), sessionmaker)
    removed = emu.texts(810)[-1]
    assert "Your grade 5 in Математика of" in removed and "is removed" in removed, removed
    assert "Average in Математика for 2 четверть: 4.00" in removed
    assert len(emu.texts(810)) == 3
