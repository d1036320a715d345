"""The other journal screens through the dispatcher: days, grade edits, due dates, reasons, class,
period grades, the admin's journal and substitutions."""

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Attendance, AuditEntry, Grade, Homework, Lesson, Notification, PeriodGrade
from services import attendance, grades
from services.class_lists import lesson_students
from tests.conftest import BotHarness
from tests.support.bot import link
from tests.support.journal import act_as, freeze, lesson_of, person
from tests.test_flow_journal import Taps

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


async def test_days_and_grade_edit_and_delete(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 5001, "en")
    today = (await emu.say(5001, "/today"))[0]
    taps = Taps(emu, 5001)
    # back a teaching day: the weekend is stepped over
    friday = await taps.tap(today, "◀ Fri 20.11")
    assert friday["text"].startswith("Your lessons, Fri, 20 November:")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    sid = (await lesson_students(session, lesson))[0][0].id
    grade_id = (await grades.add(session, await act_as(session, "S03"), lesson.id, sid, 3)).id
    await session.commit()
    today = await taps.tap(friday, "Mon 23.11 ▶")
    students = await taps.tap(today, "Grades", after="1. 08:30 5А")
    values = await taps.tap(students, students["reply_markup"]["inline_keyboard"][0][0]["text"])
    edit = await taps.tap(values, "✏️ grade 3")
    changed = await taps.tap(edit, "4")
    assert changed["text"].startswith("Changed to 4.")
    edit = await taps.tap(changed, "✏️ grade 4")
    asked = await taps.tap(edit, "🗑 Remove")
    assert asked["text"].startswith("Remove grade 4 of ")
    kept = await taps.tap(asked, "No, keep it")
    assert kept["text"].startswith("Grade 4: change it or remove it.")
    session.expire_all()
    assert (await session.get(Grade, grade_id)).deleted_at is None
    await taps.tap(await taps.tap(kept, "🗑 Remove"), "🗑 Yes, remove")
    session.expire_all()
    stored = await session.get(Grade, grade_id)
    assert stored.value == 4 and stored.deleted_at is not None
    actions = list(
        await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "grade").order_by(AuditEntry.id))
    )
    assert actions == ["grade_created", "grade_changed", "grade_deleted"]


async def test_whole_class_one_by_one_and_a_comment(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 5002, "en")
    today = (await emu.say(5002, "/today"))[0]
    taps = Taps(emu, 5002)
    students = await taps.tap(today, "Grades", after="1. 08:30 5А")
    kinds = await taps.tap(students, "The whole class, one by one")
    assert kinds["text"] == "The whole class, one by one: what kind of work is graded?"
    first = await taps.tap(kinds, "Test")
    assert first["text"].startswith("Student 1 of ")
    full = first["text"].split("\n")[1].split(":")[0].split()
    first_name = f"{full[0]} {full[1][0]}."
    # the kind of work was asked once: a value saves at once and moves on
    second = await taps.tap(first, "5")
    # whose grade was saved is said: the next student's name follows it
    assert second["text"].startswith(f"Saved: {first_name} — 5.\n\nStudent 2 of ") and "· Test" in second["text"]
    third = await taps.tap(second, "Skip")
    assert "Student 3 of " in third["text"]
    await taps.tap(third, "4")
    saved = [(g.value, g.work_type_id) for g in await session.scalars(select(Grade).order_by(Grade.id))]
    assert [v for v, _ in saved] == [5, 4] and saved[0][1] == saved[1][1] is not None
    # a single grade can carry a comment
    students = await taps.tap(emu.last(5002), "◀ students")
    values = await taps.tap(students, students["reply_markup"]["inline_keyboard"][0][0]["text"])
    kinds = await taps.tap(values, "3")
    saved = await taps.tap(kinds, "Classwork")
    await taps.tap(saved, "Add a comment to 3")
    replies = await emu.say(5002, "Не решена задача 2")
    assert replies[0]["text"] == "Comment saved to grade 3."
    assert await session.scalar(select(Grade.comment).where(Grade.value == 3)) == "Не решена задача 2"


async def test_topic_homework_album_and_due_date(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 5003, "en")
    today = (await emu.say(5003, "/today"))[0]
    taps = Taps(emu, 5003)
    await taps.tap(today, "Topic", after="1. 08:30 5А")
    assert (await emu.say(5003, "Десятичные дроби"))[0]["text"] == "Topic saved: Десятичные дроби"
    await taps.tap(today, "HW", after="1. 08:30 5А")
    await emu.wait_processed(await emu.send_photo(5003, b"page-1", caption="№ 101–105"))
    reply = emu.last(5003)
    await emu.wait_processed(await emu.send_document(5003, b"%PDF", "worksheet.pdf"))
    assert emu.last(5003)["text"] == "Added to the homework (files: 2)."
    due = await taps.tap(reply, "Change the due date")
    options = [b["text"] for row in due["reply_markup"]["inline_keyboard"] for b in row]
    assert len(options) == 5 and options[-1] == "◀ the lesson", "four next lessons, and a way back"
    done = await taps.tap(due, options[1])
    assert done["text"].startswith("Homework due ")
    session.expire_all()
    hw = await session.scalar(select(Homework))
    lesson = await session.get(Lesson, hw.lesson_id)
    assert lesson.topic == "Десятичные дроби" and hw.due_on > TODAY
    await emu.say(5003, "/help")  # a command ends the dialog: later text is not homework
    await emu.say(5003, "просто текст")
    assert await session.scalar(select(func.count()).select_from(Homework)) == 1


async def test_reasons_by_lesson_with_a_note_and_class_overview(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    lesson_id = lesson.id
    students = [s.id for s, _p in await lesson_students(session, lesson)]
    await attendance.save(session, await act_as(session, "S03"), lesson_id, {students[0]: "absent"})
    await session.commit()
    other = await lesson_of(session, "S04", TODAY, "RUS", "5А")
    other_id = other.id
    await attendance.save(session, await act_as(session, "S04"), other_id, {students[0]: "absent"})
    await session.commit()
    await link(session, emu, "S03", 5004, "en")
    waiting = (await emu.say(5004, "/absences"))[0]
    await emu.click(5004, waiting, "1: by lesson")
    listing = emu.last(5004)
    await emu.click(5004, listing, "lesson 1 (Математика): excused")
    offer = emu.last(5004)
    assert offer["text"] == "You can attach a note or a photo of the document to it."
    await emu.click(5004, offer, "Add a note or a document")
    await emu.wait_processed(await emu.send_photo(5004, b"note.jpg"))
    assert emu.last(5004)["text"] == "The note is kept with the reason."
    rows = {a.lesson_id: a for a in await session.scalars(select(Attendance))}
    assert rows[lesson_id].reason == "excused" and rows[lesson_id].reason_file_id
    assert rows[other_id].reason is None
    overview = (await emu.say(5004, "/class"))[0]["text"]
    assert overview.startswith("Class 5А, Mon, 23 November")
    assert "Математика (excused)" in overview and "2 missed lessons, 1 without a reason" in overview


async def test_period_grade_with_average_beside_it(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    sid = (await lesson_students(session, lesson))[0][0].id
    teacher = await act_as(session, "S03")
    await grades.add(session, teacher, lesson.id, sid, 5)
    await session.commit()
    await grades.add(session, teacher, lesson.id, sid, 4)
    await session.commit()
    await link(session, emu, "S03", 5005, "en")
    taps = Taps(emu, 5005)
    start = (await emu.say(5005, "/period"))[0]  # teaches 5А and 7Б: choose the class
    periods = await taps.tap(start, "5А")
    subjects = await taps.tap(periods, "2 четверть")
    students = await taps.tap(subjects, "Математика")
    first = students["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert "(4.50)" in first
    standing = await taps.tap(students, first)
    assert "Grades in the period: 5, 4\nAverage: 4.50 → 5" in standing["text"]
    asked = await taps.tap(standing, "5")  # five weeks before the quarter's end: asked again
    assert "2 четверть is not over: it ends on 28 December" in asked["text"]
    saved = await taps.tap(asked, "Yes, give 5")
    assert saved["text"].startswith("Saved: 5.")
    assert await session.scalar(select(PeriodGrade.value)) == "5"
    assert "→ 5" in saved["reply_markup"]["inline_keyboard"][0][0]["text"]


async def test_admin_reads_the_journal_and_gives_a_substitute(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    lesson_id = lesson.id
    sid = (await lesson_students(session, lesson))[0][0].id
    await grades.add(session, await act_as(session, "S03"), lesson_id, sid, 5)
    await session.commit()
    await link(session, emu, "S01", 5006, "en")
    taps = Taps(emu, 5006)
    classes = (await emu.say(5006, "/journal"))[0]
    subjects = await taps.tap(classes, "5А")
    page = await taps.tap(subjects, "Математика")
    assert "Mon 23.11, 1: no topic" in page["text"] and " 5" in page["text"]
    # the days nobody opened yet have their lessons too
    assert "Fri 27.11, 1: no topic" in page["text"]

    teachers = (await emu.say(5006, "/substitute"))[0]
    lessons_ = await taps.tap(teachers, "Соколова")
    choose = await taps.tap(lessons_, "Mon 23.11 1. 5А")
    done = await taps.tap(choose, "Гордеева")
    assert done["text"].startswith("Гордеева Ирина Алексеевна takes the lesson of Mon 23.11")
    session.expire_all()
    stored = await session.get(Lesson, lesson_id)
    assert stored.substitute_id == (await person(session, "S07")).id
    # both teachers are told at once: the one who takes it and the one whose lesson it is
    told = dict(
        (
            await session.execute(
                select(Notification.person_id, Notification.payload).where(Notification.kind == "substitution")
            )
        ).all()
    )
    assert told[(await person(session, "S07")).id]["role"] == "takes"
    assert told[(await person(session, "S03")).id]["role"] == "owner"
    # the tutor reads only their class; a plain teacher has no /journal
    await link(session, emu, "S07", 5007, "en")
    replies = await emu.say(5007, "/journal")
    assert replies[0]["text"] == "This command is not available for your role."


async def test_homework_is_edited_later(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 5008, "en")
    today = (await emu.say(5008, "/today"))[0]
    taps = Taps(emu, 5008)
    await taps.tap(today, "HW", after="1. 08:30 5А")
    await emu.say(5008, "№ 1")
    await emu.say(5008, "/today")  # the teacher moves on
    prompt = await taps.tap(today, "HW", after="1. 08:30 5А")
    assert "Already given (1): № 1" in prompt["text"]
    await taps.tap(prompt, "✏️ Edit 1")
    replies = await emu.say(5008, "№ 1 и № 2")
    assert replies[0]["text"] == "The homework now reads: № 1 и № 2"
    session.expire_all()
    assert [h.text for h in await session.scalars(select(Homework))] == ["№ 1 и № 2"]
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "homework_changed")
        )
        == 1
    )
