"""The family's diary through the dispatcher: consent first, own children only, a remembered choice."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import ChildCb
from models import Grade, Person, Preference, Subject
from services import attendance, grades, homework
from tests.conftest import BotHarness
from tests.support.bot import link
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


async def test_every_diary_command_waits_for_consent(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "R015", 6001, "en")
    for command in ("/grades", "/homework", "/schedule", "/attendance", "/summary"):
        replies = await emu.say(6001, command)
        assert replies[0]["text"].startswith("You have not accepted the processing of personal data yet"), command


async def test_parent_of_two_picks_a_child_once(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    older = await student_id(session, "P016")  # 5А; the younger sibling P001 is in 1А
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    teacher = await act_as(session, "S03")
    await grades.add(session, teacher, lesson.id, older, 5)
    await session.commit()
    await grades.add(session, teacher, lesson.id, older, 4)
    await session.commit()
    await attendance.save(session, teacher, lesson.id, {older: "late"})
    await session.commit()
    photo = emu.upload(b"page 7")
    await homework.post(session, teacher, lesson.id, "№ 7", attachments=[homework.Attachment("photo", photo)])
    await session.commit()
    mother = await person(session, "R015")
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await session.commit()
    await link(session, emu, "R015", 6002, "en")

    replies = await emu.say(6002, "/grades")
    assert replies[0]["text"] == "Whose diary?"
    assert len(emu.buttons(replies[0])) == 2
    replies = await emu.click(
        6002,
        replies[0],
        emu.buttons(replies[0])[0][0] if "5А" in emu.buttons(replies[0])[0][0] else emu.buttons(replies[0])[1][0],
    )
    text = replies[0]["text"]
    assert "5А: grades for 2 четверть" in text and "Математика: 5 4 — average 4.50" in text
    # the choice is remembered
    replies = await emu.say(6002, "/attendance")
    assert "lesson 1 (Математика): late — no reason yet" in replies[0]["text"]
    replies = await emu.say(6002, "/homework")
    assert "Математика: № 7" in replies[0]["text"]
    assert "photo" in emu.bot_messages(6002)[-1], "the homework's photo is re-sent from its file id"
    replies = await emu.say(6002, "/summary")
    assert "Математика: 5 4 (week 4.50, period 4.50)" in replies[0]["text"]
    # Asked on a Monday: the homework due this week, not only next week's.
    assert "Homework for the coming days:" in replies[0]["text"] and "Математика: № 7" in replies[0]["text"]
    replies = await emu.say(6002, "/schedule")
    assert "timetable" in replies[0]["text"] and "Математика" in replies[0]["text"]
    remembered = await session.scalar(
        select(Preference.child_student_id).where(Preference.child_student_id.is_not(None))
    )
    assert remembered == older


async def test_nobody_sees_another_family(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    stranger_child = await student_id(session, "P030")
    parent = await person(session, "R017")
    await session.execute(update(Person).where(Person.id == parent.id).values(consent_at=MONDAY))
    await session.commit()
    await link(session, emu, "R017", 6003, "en")
    anchor = emu.bot_messages(6003)[-1]["message_id"]
    await emu.wait_processed(await emu.press(6003, anchor, ChildCb(view="grades", student=stranger_child).pack()))
    assert emu.texts(6003)[-1] == "You can see only your own child's diary."


async def test_teacher_without_children_has_no_family_diary(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    code_user = 6004
    await link(session, harness.emu, "S07", code_user, "en")
    replies = await harness.emu.say(code_user, "/grades")
    assert replies[0]["text"] == "This command is not available for your role."


async def test_long_answers_are_split(demo: None, session: AsyncSession) -> None:
    from handlers.render import chunks

    lines = [f"строка {n} " + "x" * 90 for n in range(200)]
    parts = chunks(lines)
    assert len(parts) > 1 and all(len(p) <= 4000 for p in parts)
    assert "\n".join(parts) == "\n".join(lines)


async def test_settings_turn_categories_and_quiet_hours(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S07", 6010, "en")
    shown = (await emu.say(6010, "/settings"))[0]
    assert "Quiet hours: 21:00–07:30" in shown["text"]
    await emu.click(6010, shown, "✅ Reminders")
    await emu.click(6010, shown, "🌙 Quiet hours: 21:00–07:30")
    await emu.click(6010, shown, "No quiet hours")
    preference = await session.scalar(select(Preference))
    await session.refresh(preference)
    assert preference.push_reminders is False and preference.quiet_from is None
    assert "⬜ Reminders" in [b[0] for b in emu.buttons(shown)]


async def test_attendance_offers_to_explain_each_day_without_a_reason(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    """A family that turned absence pushes off (or missed one) explains from /attendance; a day
    already explained in a waiting note is not offered again, and a school's student is offered none."""
    emu = harness.emu
    child = await student_id(session, "P018")  # R017 is her mother
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {child: "absent"})
    await session.execute(update(Person).where(Person.student_ref == "P018").values(consent_at=MONDAY))
    await session.execute(update(Person).where(Person.parent_ref == "R017").values(consent_at=MONDAY))
    await session.commit()
    await link(session, emu, "R017", 6020, "en")
    shown = (await emu.say(6020, "/attendance"))[-1]
    labels = [label for label, _data in emu.buttons(shown)]
    assert labels == ["Explain the absence of Mon, 23 November"], labels
    kinds = (await emu.click(6020, shown, labels[0]))[-1]
    await emu.click(6020, kinds, "illness")
    await emu.say(6020, "Температура")
    again = (await emu.say(6020, "/attendance"))[-1]
    assert not [label for label, _d in emu.buttons(again) if label.startswith("Explain")], "the note waits already"
    await link(session, emu, "P018", 6021, "en")
    own = (await emu.say(6021, "/attendance"))[-1]
    assert not [label for label, _d in emu.buttons(own) if label.startswith("Explain")]


async def test_a_first_grader_has_no_grades_part_whatever_the_table_holds(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    younger = await student_id(session, "P001")  # 1А: the first grade takes no grades
    teacher = await person(session, "S03")
    subject = await session.scalar(select(Subject.id).limit(1))
    assert subject is not None
    # A grade left over from before the class stopped taking grades (the journal's rules refuse new ones).
    session.add(Grade(student_id=younger, subject_id=subject, on_date=MONDAY.date(), value=5, given_by=teacher.id))
    mother = await person(session, "R015")
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await session.commit()
    await link(session, emu, "R015", 6005)
    question = (await emu.say(6005, "/grades"))[0]
    first_grade = next(label for label, _data in emu.buttons(question) if "1А" in label)
    text = (await emu.click(6005, question, first_grade))[0]["text"]
    assert text.endswith("1А\nВ этом классе оценки не ставятся: здесь посещаемость и домашние задания."), text
    assert " 5" not in text


async def test_a_word_after_a_diary_command_is_answered_not_dropped(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    """«/schedule завтра» is told that the word is not used, then gets what /schedule shows."""
    from tests.support.bot import consent

    emu = harness.emu
    await consent(session, "R017")
    await link(session, emu, "R017", 6009)
    replies = await emu.say(6009, "/schedule завтра")
    assert (
        replies[0]["text"]
        == "После /schedule ничего писать не нужно («завтра» не учтено) — вот что эта команда показывает."
    )
    assert len(replies) >= 2 and replies[1]["text"] == (await emu.say(6009, "/schedule"))[0]["text"]


async def test_a_day_missed_alike_is_one_line(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    """A day of illness reads as one line with its lessons, not a line a lesson."""
    from models import Attendance, SchoolClass
    from services import absences
    from services.lessons import lessons_of_class
    from tests.support.bot import consent

    emu = harness.emu
    child = await student_id(session, "P018")
    tutor = await act_as(session, "S03")
    school_class = await session.scalar(select(SchoolClass).where(SchoolClass.external_id == "C5A"))
    assert school_class is not None
    day_lessons = [
        x for x in await lessons_of_class(session, school_class, MONDAY.date()) if x.subgroup in (None, "1")
    ][:3]
    assert len(day_lessons) == 3
    for each in day_lessons:  # marked by each lesson's own teacher
        session.add(
            Attendance(lesson_id=each.id, student_id=child, mark="absent", marked_by=each.teacher_id, marked_at=MONDAY)
        )
    await session.commit()
    await absences.give_reason(session, tutor, reason="illness", student_id=child, on_date=MONDAY.date())
    await session.commit()
    await consent(session, "R017")
    await link(session, emu, "R017", 6030)
    text = (await emu.say(6030, "/attendance"))[-1]["text"]
    numbers = ", ".join(str(x.lesson_no) for x in day_lessons)
    assert f"23 ноября, уроки {numbers}: отсутствие — болезнь" in text, text
    assert text.count("23 ноября") == 1
