"""Forged input through the real dispatcher: every hole found by the forged-input review stays shut.

Each test presses hand-built buttons or sends commands as the wrong person, and checks both the
refusal and that no row changed.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import DeliveryWorker
from handlers.callbacks import (
    AttCb,
    DayCb,
    ExplainCb,
    GradeCb,
    GradeEditCb,
    HomeworkCb,
    JournalCb,
    LanguageCb,
    LessonCb,
    NoteCb,
    PeriodCb,
    ReasonCb,
)
from models import (
    AbsenceNote,
    AcademicPeriod,
    Attendance,
    AuditEntry,
    Grade,
    Homework,
    Lesson,
    LinkCode,
    Notification,
    PeriodGrade,
    School,
    SchoolClass,
    Student,
    Subject,
    TelegramAccount,
)
from models.db import make_engine
from services import attendance, grades
from services.class_lists import lesson_students
from services.link_codes import issue_codes_for
from services.roles import Scope
from tests.conftest import BotHarness
from tests.support.bot import OPERATOR, consent, drain, link, press
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id

TODAY = MONDAY.date()
TABLES = (
    Attendance,
    AuditEntry,
    Grade,
    Homework,
    PeriodGrade,
    Notification,
    TelegramAccount,
    LinkCode,
    AbsenceNote,
)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


async def snapshot(session: AsyncSession) -> dict[str, object]:
    """Row counts of everything a forged press could write, and the lessons' topics (plain columns,
    read afresh: no object in the session is expired)."""
    counts: dict[str, object] = {
        t.__tablename__: await session.scalar(select(func.count()).select_from(t)) for t in TABLES
    }
    counts["topics"] = sorted(t for t in await session.scalars(select(Lesson.topic)) if t)
    counts["codes_revoked"] = await session.scalar(
        select(func.count()).select_from(LinkCode).where(LinkCode.revoked_at.is_not(None))
    )
    return counts


async def ids(session: AsyncSession) -> dict[str, int]:
    q = select(AcademicPeriod.id, AcademicPeriod.external_id)
    periods = {ext: pid for pid, ext in await session.execute(q)}
    subjects = {ext: sid for sid, ext in await session.execute(select(Subject.id, Subject.external_id))}
    classes = {ext: cid for cid, ext in await session.execute(select(SchoolClass.id, SchoolClass.external_id))}
    return {**periods, **subjects, **classes}


# --- hole 1: a class teacher's code never yields a staff role --------------------------------------------------


async def test_tutor_cannot_become_a_teacher_through_her_code(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    admin_code = (
        await issue_codes_for(session, [await person(session, "S06")], days=30, scope=Scope.STAFF, actor=OPERATOR)
    )[0]
    await session.commit()
    await link(session, emu, "S05", 7001, "en")  # class teacher of 9В, where S06 is P050's mother
    (question,) = await emu.say(7001, "/codes")
    replies = await emu.click(7001, question, "Issue (the earlier ones still work)")
    mother = await person(session, "S06")
    mother_name, mother_id = mother.full_name, mother.id
    line = next(line for line in replies[0]["text"].splitlines() if line.startswith(mother_name))
    assert "(parent · child: Лебедев Илья, 9В)" in line and "teacher" not in line, line
    code = line.rsplit(": ", 1)[1]
    own_lesson = await lesson_of(session, "S06", TODAY)
    student = (await lesson_students(session, own_lesson))[0][0].id
    before = await snapshot(session)

    # the tutor links the mother's family code from a second account
    greeting = (await emu.say(7002, f"/start {code}", language_code="en"))[0]["text"]
    assert greeting == "Hello, Наталья Игоревна! You are signed in as: parent."
    assert (await emu.say(7002, "/today"))[0]["text"] == "This command is not available for your role."
    await press(emu, 7002, LessonCb(id=own_lesson.id, act="att").pack())
    await press(emu, 7002, GradeCb(lesson=own_lesson.id, op="w", student=student, value=5).pack())
    assert emu.texts(7002)[-1] == "Only the teacher of this lesson can change its journal."
    after = await snapshot(session)
    assert after["grades"] == before["grades"] and after["attendance"] == before["attendance"]
    assert after["codes_revoked"] == before["codes_revoked"], "the admin's printed code still works"

    # the administrator's staff code takes the teacher back, and the family code cannot take it again
    (question,) = await emu.say(7003, f"/start {admin_code.code}", language_code="en")
    assert "is signed in from another Telegram account" in question["text"]
    replies = await emu.click(7003, question, "Yes, sign in")
    assert replies[0]["text"].startswith("Hello, Наталья Игоревна! You are signed in as: teacher")
    (question,) = await emu.say(7001, "/codes")
    fresh = next(
        line.rsplit(": ", 1)[1]
        for line in (await emu.click(7001, question, "Issue (the earlier ones still work)"))[0]["text"].splitlines()
        if line.startswith(mother_name)
    )
    refusal = (await emu.say(7002, f"/start {fresh}", language_code="en"))[0]["text"]
    assert refusal.startswith("This person is already linked from another Telegram account as staff")
    session.expire_all()
    holder = await session.scalar(
        select(TelegramAccount.telegram_user_id).where(TelegramAccount.person_id == mother_id)
    )
    assert holder == 7003


# --- holes 2 and 3: period grades --------------------------------------------------------------------------------


async def test_period_screen_shows_only_own_class_and_subjects(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    ref = await ids(session)
    stranger = await student_id(session, "P050")  # 9В
    own = await student_id(session, "P035")  # 7Б
    # a grade of the stranger's that must not be shown
    lesson = await lesson_of(session, "S05", TODAY, "MATH", "9В")
    await grades.add(session, await act_as(session, "S05"), lesson.id, stranger, 3)
    await session.commit()
    await link(session, emu, "S04", 7101, "en")  # class teacher of 7Б, Russian and literature in 5А, 7Б, 9В
    await link(session, emu, "S07", 7102, "en")  # English group 2; teaches no mathematics anywhere
    before = await snapshot(session)

    await press(emu, 7101, PeriodCb(cls=ref["C7B"], period=ref["Q2"], subject=ref["MATH"], student=stranger).pack())
    assert emu.texts(7101)[-1] == "This student is not in this class."
    await press(emu, 7102, PeriodCb(cls=ref["C9V"], period=ref["Q2"], subject=ref["MATH"], student=stranger).pack())
    assert emu.texts(7102)[-1].startswith("Period grades are set by the class teacher, or by the teacher")
    assert not any("Grades in the period: 3" in t for t in emu.texts(7101) + emu.texts(7102))

    # hole 3: literary reading is taught in 1А only
    await press(
        emu, 7101, PeriodCb(cls=ref["C7B"], period=ref["Q2"], subject=ref["READ"], student=own, value="5").pack()
    )
    assert emu.texts(7101)[-1] == "Class 7Б does not study Литературное чтение."
    await press(emu, 7101, PeriodCb(cls=ref["C7B"], period=ref["Q2"], subject=ref["READ"]).pack())
    assert emu.texts(7101)[-1] == "Class 7Б does not study Литературное чтение."
    # a quarter that has not begun takes no grades
    await press(
        emu, 7101, PeriodCb(cls=ref["C7B"], period=ref["Q3"], subject=ref["RUS"], student=own, value="5").pack()
    )
    assert (
        emu.texts(7101)[-1]
        == "3 четверть has not begun yet (it starts on 12 January 2027); its grades are given at its end."
    )
    assert await snapshot(session) == before

    # only periods that have begun are offered; a first grade's teacher is told there is nothing to grade
    await press(emu, 7101, PeriodCb(cls=ref["C7B"]).pack())
    offered = [label for label, _data in emu.buttons(emu.last(7101))]
    assert "2 четверть" in offered and "3 четверть" not in offered, offered
    await link(session, emu, "S08", 7103, "en")
    assert (await emu.say(7103, "/period"))[0]["text"].startswith("None of your classes takes grades")
    # the real thing still works: the class teacher's own class and subject
    await press(
        emu,
        7101,
        PeriodCb(cls=ref["C7B"], period=ref["Q2"], subject=ref["RUS"], student=own, value="5", ok=True).pack(),
    )
    assert await session.scalar(select(func.count()).select_from(PeriodGrade)) == 1


# --- hole 4: group chats -------------------------------------------------------------------------------------------


async def test_group_chats_change_nothing_and_get_no_diary(
    demo: None, session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], harness: BotHarness
) -> None:
    emu = harness.emu
    emu.add_group(-1005)
    await consent(session, "R017")
    mother_code = (await issue_codes_for(session, [await person(session, "R017")], days=30, actor=OPERATOR))[0].code
    await session.commit()
    tutor_code = await link(session, emu, "S03", 7201, "en")  # class teacher of 5А, linked in private
    before = await snapshot(session)

    for text in (f"/start {mother_code}", "/language", "/grades", "/absences", "/codes", "/today"):
        replies = await emu.say_in_group(-1005, 7202 if "start" in text else 7201, text, language_code="en")
        assert [m["text"] for m in replies] == [
            "I work in private messages only, so that nobody else reads a child's diary. Write to me directly."
        ], text
    assert not await emu.say_in_group(-1005, 7201, "5А: who has the homework?")
    anchor = emu.bot_messages(-1005)[-1]["message_id"]
    await emu.wait_processed(await emu.press(7201, anchor, LanguageCb(locale="ru").pack(), chat_id=-1005))
    assert emu.callback_answers[-1]["text"].startswith("I work in private messages only")
    assert await snapshot(session) == before, "nothing from a group changes an account or the diary"
    assert tutor_code  # the tutor's own private link is untouched
    assert len(emu.bot_messages(-1005)) == 6

    # the mother links in private; a polluted chat id from before the fix still sends to private
    await emu.say(7202, f"/start {mother_code}", language_code="en")
    await session.execute(update(TelegramAccount).where(TelegramAccount.telegram_user_id == 7202).values(chat_id=-1005))
    await session.commit()
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    child = await student_id(session, "P018")
    await grades.add(session, await act_as(session, "S03"), lesson.id, child, 5)
    await session.commit()
    await session.execute(update(Notification).values(due_at=MONDAY - timedelta(minutes=1)))
    await session.commit()
    await drain(DeliveryWorker(harness.bot, sessionmaker), sessionmaker)
    pushed = emu.bot_messages(7202)[-1]
    assert "a new grade 5" in pushed["text"] and pushed.get("has_protected_content") is True
    assert len(emu.bot_messages(-1005)) == 6, "no push goes to a group"


# --- out-of-range and malformed buttons ----------------------------------------------------------------------------


FORGED = [
    "day:0",
    "day:-5",
    "day:99999999",
    "ls:0:open",
    "ls:-1:att",
    "ls:99999999999:att",
    "ls:1:drop",
    "at:1:t:-3",
    "at:1:t:2147483648",
    "at:1:zz:1",
    "gr:1:w:1:-4:0:0",
    "gr:1:w:1:5:99999999999:0",
    "ge:0:del:0",
    "ge:1:set:1000",
    "hw:1:setdue:0:-5:0",
    "hw:1:setdue:0:99999999:0",
    "rs:nonsense:1:0:0:set",
    "rs:illness:0:1:-7:set",
    "jr:1:1:99999999",
    "nt:1:maybe",
]


async def test_out_of_range_buttons_are_refused_plainly(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 7301, "en")
    before = await snapshot(session)
    for data in FORGED:
        await press(emu, 7301, data)
        answer = emu.callback_answers[-1]["text"]
        assert answer == "This button is no longer active. Send /help.", (data, answer)
    assert not any("Something went wrong" in t for t in emu.texts(7301))
    assert await snapshot(session) == before


# --- the journal's time rules --------------------------------------------------------------------------------------


async def test_a_lesson_later_today_takes_no_marks_and_old_topics_are_closed(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S04", 7401, "en")
    later = [ls for ls in await lessons_today(session, "S04") if ls.starts_at.hour >= 11]
    assert later, "S04 has a lesson after 11:00 on Monday"
    student = (await lesson_students(session, later[0]))[0][0].id
    old = await lesson_of(session, "S04", TODAY - timedelta(days=17), class_name="5А")
    before = await snapshot(session)

    await press(emu, 7401, GradeCb(lesson=later[0].id, op="w", student=student, value=5).pack())
    assert emu.texts(7401)[-1].startswith("The lesson of 23 November at ")
    await press(emu, 7401, AttCb(lesson=later[0].id, op="t", student=student).pack())
    assert "has not begun yet" in emu.callback_answers[-1]["text"]
    await press(emu, 7401, LessonCb(id=old.id, act="topic").pack())
    await emu.say(7401, "Причастный оборот")
    await press(emu, 7401, LessonCb(id=old.id, act="hw").pack())
    await emu.say(7401, "Упр. 5")
    closed = [t for t in emu.texts(7401) if t.startswith("The journal of 6 November is closed")]
    assert len(closed) >= 2, emu.texts(7401)[-6:]
    assert await snapshot(session) == before


async def absent_in_mathematics(session: AsyncSession) -> int:
    """P018 of 5А, marked absent from Monday's mathematics by its teacher; returns the student's id."""
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    child = await student_id(session, "P018")
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {child: "absent"})
    await session.commit()
    return child


async def lessons_today(session: AsyncSession, ref: str) -> list[Lesson]:
    from services.lessons import lessons_of_teacher

    found = await lessons_of_teacher(session, await person(session, ref), TODAY)
    await session.commit()
    return found


async def test_a_grade_comment_is_limited(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 7501, "en")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    child = await student_id(session, "P018")
    await emu.say(7501, "/today")
    await press(emu, 7501, GradeCb(lesson=lesson.id, op="w", student=child, value=4).pack())
    saved = emu.last(7501)  # the screen with "Add a comment to 4"
    await emu.say(7501, "/today")  # another screen, where another grade is saved
    await press(emu, 7501, GradeCb(lesson=lesson.id, op="w", student=child + 1, value=3).pack())
    # the older screen's comment button is pressed after another grade was saved
    comment = next(data for label, data in emu.buttons(saved) if label.startswith("Add a comment to 4"))
    await emu.wait_processed(await emu.press(7501, saved["message_id"], comment))
    await emu.say(7501, "x" * 10_000)
    assert emu.texts(7501)[-1] == "The comment is too long: at most 500 characters."
    assert list(await session.scalars(select(Grade.comment))) == [None, None]
    await emu.say(7501, "Молодец, но проверь вычисления")
    comments = dict((await session.execute(select(Grade.value, Grade.comment))).all())
    assert comments == {4: "Молодец, но проверь вычисления", 3: None}, "the comment lands on the grade its button named"


# --- notes, prompts and other people's classes ---------------------------------------------------------------------


async def test_a_school_student_cannot_explain_his_own_absence_but_a_college_student_can(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    child = await absent_in_mathematics(session)
    await consent(session, "P018")
    await link(session, emu, "P018", 7601, "en")
    before = await snapshot(session)
    await press(emu, 7601, ExplainCb(student=child, day=TODAY.toordinal()).pack())
    assert emu.texts(7601)[-1] == "Absences are explained by a parent; ask yours to do it in the bot."
    assert not any(t == "What was the reason?" for t in emu.texts(7601))
    assert await snapshot(session) == before

    await session.execute(update(School).values(kind="college"))
    await session.commit()
    await press(emu, 7601, ExplainCb(student=child, day=TODAY.toordinal()).pack())
    assert emu.texts(7601)[-1] == "What was the reason?"


async def test_refusals_come_at_the_press_not_after_typing(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    child = await absent_in_mathematics(session)
    await consent(session, "R017")
    await link(session, emu, "R017", 7701, "en")
    await press(emu, 7701, ExplainCb(student=child, day=TODAY.toordinal(), kind="illness").pack())
    await emu.say(7701, "Болел")
    note = await session.scalar(select(AbsenceNote.id))
    await link(session, emu, "S07", 7702, "en")  # a teacher, not 5А's class teacher
    await press(emu, 7702, NoteCb(note=note, op="no").pack())
    assert emu.texts(7702)[-1] == "Only the class teacher of this student's class gives absence reasons."
    assert "Why is it rejected?" not in emu.texts(7702)
    await emu.say(7702, "forged rejection")
    session.expire_all()
    assert (await session.get(AbsenceNote, note)).status == "pending"


async def test_a_tutor_cannot_list_another_class_through_the_journal(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    ref = await ids(session)
    await link(session, emu, "S03", 7801, "en")  # class teacher of 5А
    await press(emu, 7801, JournalCb(cls=ref["C9V"]).pack())
    assert emu.texts(7801)[-1] == "You can read the journal of your own classes and subjects only."
    await press(emu, 7801, JournalCb(cls=ref["C5A"]).pack())
    assert "Математика" in str(emu.bot_messages(7801)[-1].get("reply_markup"))


async def test_language_button_before_linking_stores_no_account(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await emu.say(7901, "/start", language_code="en")
    await press(emu, 7901, LanguageCb(locale="ru").pack())
    assert await session.scalar(select(func.count()).select_from(TelegramAccount)) == 0
    replies = await emu.say(7901, "/help", language_code="en")
    assert replies[0]["text"].startswith("Я бот электронного дневника"), "the choice is kept with the conversation"
    code = (await issue_codes_for(session, [await person(session, "S07")], days=30, actor=OPERATOR))[0].code
    await session.commit()
    await emu.say(7901, f"/start {code}", language_code="en")
    session.expire_all()
    assert await session.scalar(select(TelegramAccount.locale).where(TelegramAccount.telegram_user_id == 7901)) == "ru"


async def test_family_screens_are_protected(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await consent(session, "R017")
    await link(session, emu, "R017", 8001, "en")
    for command in ("/grades", "/attendance", "/homework", "/summary"):
        replies = await emu.say(8001, command)
        assert replies and all(m.get("has_protected_content") for m in replies), command


async def test_failing_statements_are_logged_without_their_values(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        async with engine.begin() as conn:
            with pytest.raises(IntegrityError) as failed:
                await conn.execute(Student.__table__.insert().values(person_id=424242, class_id=434343))
        assert "424242" not in str(failed.value) and "hidden due to hide_parameters" in str(failed.value)
    finally:
        await engine.dispose()


# DayCb, GradeEditCb, HomeworkCb and ReasonCb build the forged strings above; named here so a renamed
# prefix breaks this module at import rather than silently testing nothing.
PREFIXES = {DayCb.__prefix__, GradeEditCb.__prefix__, HomeworkCb.__prefix__, ReasonCb.__prefix__}
assert {"day", "ge", "hw", "rs"} == PREFIXES


async def test_a_teacher_pressing_the_tutors_add_a_note_is_refused_at_once(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    child = await absent_in_mathematics(session)
    note = ReasonCb(reason="illness", student=child, day=TODAY.toordinal(), op="note").pack()
    await link(session, emu, "S07", 8101, "en")  # teaches 5А, is no class teacher
    await press(emu, 8101, note)
    assert emu.texts(8101)[-1] == "This command is not available for your role."
    await link(session, emu, "S04", 8102, "en")  # the class teacher of 7Б
    await press(emu, 8102, note)
    assert emu.texts(8102)[-1] == "Only the class teacher of this student's class gives absence reasons."
    prompt = "Send the note as text, or a photo of the document."
    assert prompt not in emu.texts(8101) + emu.texts(8102)
