"""Weekly summaries: queued once per consenting family and child, sent with a Seen button, seen by the tutor."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import jobs
from bot.delivery import DeliveryWorker
from handlers.callbacks import SummarySeenCb
from models import Notification, Person, School, TelegramAccount
from services import attendance, family, grades
from services.class_lists import lesson_students
from services.summaries import due_week
from tests.conftest import BotHarness
from tests.support.bot import drain, link, running_from
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id

SATURDAY_NOON = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # 12:00 in Barnaul


def test_due_week_follows_the_school_clock() -> None:
    school = School(timezone="Asia/Barnaul", summary_weekday=6, summary_time=datetime(2000, 1, 1, 12).time())
    assert due_week(school, datetime(2026, 11, 28, 4, 59, tzinfo=UTC)) is None
    assert due_week(school, SATURDAY_NOON) == date(2026, 11, 23)
    assert due_week(school, datetime(2026, 11, 29, 10, tzinfo=UTC)) == date(2026, 11, 23)


async def test_summary_reaches_each_family_once_per_child(
    demo: None, session: AsyncSession, sessionmaker, harness: BotHarness, monkeypatch
) -> None:
    emu = harness.emu
    freeze(monkeypatch)
    older = await student_id(session, "P016")
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    teacher = await act_as(session, "S03")
    await grades.add(session, teacher, lesson.id, older, 5)
    await session.commit()
    other = next(s.id for s, _p in await lesson_students(session, lesson) if s.id != older)
    await attendance.save(session, teacher, lesson.id, {other: "absent"})
    await session.commit()
    await session.execute(update(Notification).values(status="sent"))  # the real-time pushes are not the point
    mother = await person(session, "R015")  # parent of two
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await session.commit()
    await link(session, emu, "R015", 7001, "en")

    running_from(monkeypatch, SATURDAY_NOON)
    first = await jobs.tick(sessionmaker)
    again = await jobs.tick(sessionmaker)
    assert first["summaries"] == 2 and again["summaries"] == 0, "one per child, and never twice"
    built = family.summaries

    async def not_again(*_args: object) -> None:
        raise AssertionError("a school whose week is queued is not built again each minute")

    monkeypatch.setattr(family, "summaries", not_again)
    assert (await jobs.tick(sessionmaker))["summaries"] == 0
    monkeypatch.setattr(family, "summaries", built)
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    summaries = [m for m in emu.bot_messages(7001) if "the week from" in (m.get("text") or "")]
    assert len(summaries) == 2
    fifth = next(m for m in summaries if "Математика: 5" in m["text"])
    first_grade = next(m for m in summaries if m is not fifth)
    assert "(week 5.00, period 5.00)" in fifth["text"]
    button = fifth["reply_markup"]["inline_keyboard"][0][0]
    assert button["text"] == "👁 Seen"
    await emu.wait_processed(await emu.press(7001, fifth["message_id"], button["callback_data"]))
    assert (
        await session.scalar(select(func.count()).select_from(Notification).where(Notification.seen_at.is_not(None)))
        == 1
    )
    # another person cannot mark it
    row_id = SummarySeenCb.unpack(first_grade["reply_markup"]["inline_keyboard"][0][0]["callback_data"]).n
    await link(session, emu, "S04", 7002, "en")
    anchor = emu.bot_messages(7002)[-1]["message_id"]
    await emu.wait_processed(await emu.press(7002, anchor, SummarySeenCb(n=row_id).pack()))
    assert emu.texts(7002)[-1] == "This summary is not yours."
    # the class teacher of 5А sees who has read it
    await link(session, emu, "S03", 7003, "en")
    overview = (await emu.say(7003, "/class"))[-1]["text"]
    # counted among the families that got it: the other 14 of 5А have linked nobody yet
    assert "seen by 1 of 1 family that received it" in overview
    assert "14 families are not connected to the bot yet" in overview
    assert await session.scalar(select(func.count()).select_from(TelegramAccount)) == 3


async def test_a_first_graders_week_has_no_grades_part(demo: None, session: AsyncSession) -> None:
    """A first grade takes no grades: the week of its child says nothing of grades («Оценки: нет» read
    as if some were missing), and a fifth grader's keeps the part."""
    from models import SchoolClass
    from views.summary import summary_text

    first, fifth = await student_id(session, "P001"), await student_id(session, "P020")
    kids = []
    for sid, ref in ((first, "C1A"), (fifth, "C5A")):
        school_class = await session.scalar(select(SchoolClass).where(SchoolClass.external_id == ref))
        assert school_class is not None
        kids.append(family.Child(sid, "", school_class.id, school_class.name, None))
    built = await family.summaries(session, kids, date(2026, 11, 16), None)
    assert not built[first].graded and built[fifth].graded
    from services.summaries import payload_of

    sofia = summary_text(payload_of(built[first]), "Софья Павлова", "ru")
    matvey = summary_text(payload_of(built[fifth]), "Матвей Алексеев", "ru")
    assert "Оценки" not in sofia and "Пропуски:" in sofia
    assert "Оценки:" in matvey
