"""Every role against every journal action through the dispatcher, with hand-built callback data."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import AttCb, GradeCb, LessonCb, PeriodCb, ReasonCb
from models import AcademicPeriod, Attendance, AuditEntry, Grade, Homework, Lesson, PeriodGrade, Person, Subject
from services import attendance, lessons
from services.class_lists import lesson_students
from services.link_codes import issue_codes_for
from tests.conftest import BotHarness
from tests.support.bot import OPERATOR, link, press
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id

TODAY = date(2026, 11, 23)
ACTIONS = ("attendance", "grade", "topic", "homework", "reason", "period")
# Russian in 5А on Monday is S04's lesson; 5А's class teacher is S03; S08 teaches and tutors 1А.
ALLOWED = {
    "admin": set(),
    "teacher of the lesson": {"attendance", "grade", "topic", "homework", "period"},
    "another teacher": set(),
    "substitute": {"attendance", "grade", "topic", "homework"},
    "tutor of this class": {"reason", "period"},
    "tutor of another class": set(),
    "student": set(),
    "parent": set(),
    "unlinked": set(),
    "parent who declined consent": set(),
}
WHO = {
    "admin": "S01",
    "teacher of the lesson": "S04",
    "another teacher": "S07",
    "substitute": "S05",
    "tutor of this class": "S03",
    "tutor of another class": "S08",
    "student": "P020",
    "parent": "R017",
    "unlinked": None,
    "parent who declined consent": "R019",
}


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


async def counts(session: AsyncSession, lesson_id: int) -> dict[str, object]:
    session.expire_all()
    fresh = await session.get(Lesson, lesson_id)
    assert fresh is not None
    return {
        "attendance": await session.scalar(
            select(func.count())
            .select_from(Attendance)
            .where(Attendance.mark != "present", Attendance.lesson_id == lesson_id)
        ),
        "grade": await session.scalar(select(func.count()).select_from(Grade)),
        "topic": fresh.topic,
        "homework": await session.scalar(select(func.count()).select_from(Homework)),
        "reason": await session.scalar(
            select(func.count()).select_from(Attendance).where(Attendance.reason.is_not(None))
        ),
        "period": await session.scalar(select(func.count()).select_from(PeriodGrade)),
    }


@pytest.mark.parametrize("role", ALLOWED.keys())
async def test_role_matrix(role: str, demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    lesson = await lesson_of(session, "S04", TODAY, "RUS", "5А")
    lesson_id, class_id = lesson.id, lesson.class_id
    students = [s.id for s, _p in await lesson_students(session, lesson)]
    # one absence already marked by the lesson's teacher, for the reason action
    await attendance.save(session, await act_as(session, "S04"), lesson.id, {students[0]: "absent"})
    await session.commit()
    if role == "substitute":
        await lessons.substitute(session, await act_as(session, "S01"), lesson.id, (await person(session, "S05")).id)
        await session.commit()
    user = 4000
    ref = WHO[role]
    if ref is not None:
        subject = await person(session, ref)
        if role == "parent who declined consent":
            await session.execute(update(Person).where(Person.id == subject.id).values(consent_declined_at=MONDAY))
        elif role in ("student", "parent"):
            await session.execute(update(Person).where(Person.id == subject.id).values(consent_at=MONDAY))
        await session.commit()
        code = (await issue_codes_for(session, [subject], days=1, actor=OPERATOR))[0].code
        await session.commit()
        await emu.say(user, f"/start {code}", language_code="en")
    else:
        await emu.say(user, "/start", language_code="en")
    before = await counts(session, lesson_id)
    q2 = await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == "Q2"))
    rus = await session.scalar(select(Subject.id).where(Subject.external_id == "RUS"))

    await press(emu, user, AttCb(lesson=lesson_id, op="t", student=students[1]).pack())
    await press(emu, user, AttCb(lesson=lesson_id, op="save").pack())
    await press(emu, user, GradeCb(lesson=lesson_id, op="w", student=students[2], value=4).pack())
    await press(emu, user, LessonCb(id=lesson_id, act="topic").pack())
    await emu.say(user, "Имя существительное")
    await press(emu, user, LessonCb(id=lesson_id, act="hw").pack())
    await emu.say(user, "Упр. 12")
    await press(emu, user, ReasonCb(reason="illness", student=students[0], day=TODAY.toordinal()).pack())
    await press(
        emu, user, PeriodCb(cls=class_id, period=q2, subject=rus, student=students[3], value="5", ok=True).pack()
    )

    after = await counts(session, lesson_id)
    changed = {action for action in ACTIONS if before[action] != after[action]}
    assert changed == ALLOWED[role], (role, before, after, emu.texts(user)[-8:])
    refusals = [t for t in emu.texts(user) if "not" in t or "Only" in t or "closed" in t]
    if not ALLOWED[role]:
        assert refusals, "a refusal is said, never silence"


async def test_forged_buttons_are_refused_by_the_service(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S04", 4100, "en")
    own = await lesson_of(session, "S04", TODAY, "RUS", "5А")
    other = await lesson_of(session, "S03", TODAY, "MATH", "5А")  # another teacher's lesson
    stranger = await student_id(session, "P050")  # 9В
    sid = (await lesson_students(session, own))[0][0].id
    audit_before = await session.scalar(select(func.count()).select_from(AuditEntry))

    await press(emu, 4100, AttCb(lesson=other.id, op="save").pack())
    assert emu.texts(4100)[-1] == "Only the teacher of this lesson can change its journal."
    await press(emu, 4100, GradeCb(lesson=own.id, op="w", student=stranger, value=5).pack())
    assert emu.texts(4100)[-1] == "This student is not in this lesson."
    await press(emu, 4100, GradeCb(lesson=own.id, op="w", student=sid, value=7).pack())
    assert emu.texts(4100)[-1] == "A grade is a whole number from 2 to 5."
    old = await lesson_of(session, "S04", TODAY - timedelta(days=17), class_name="5А")  # Friday 6 November
    await press(emu, 4100, GradeCb(lesson=old.id, op="w", student=sid, value=5).pack())
    assert emu.texts(4100)[-1].startswith("The journal of 6 November is closed")
    await press(emu, 4100, AttCb(lesson=own.id, op="t", student=stranger).pack())
    assert emu.callback_answers[-1]["text"] == "This student is not in this lesson."
    await press(emu, 4100, "ls:999999:att")
    assert emu.texts(4100)[-1] == "This lesson is not in the journal."
    assert await session.scalar(select(func.count()).select_from(Grade)) == 0
    assert await session.scalar(select(func.count()).select_from(Attendance)) == 0
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


async def test_first_grade_takes_no_grades_with_a_reason(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S08", 4200, "en")
    lesson = await lesson_of(session, "S08", TODAY, class_name="1А")
    today = (await emu.say(4200, "/today"))[0]
    offered = [b["text"] for row in today["reply_markup"]["inline_keyboard"] for b in row]
    assert "Grades" not in offered and "Attend." in offered, "no button that only leads to a refusal"
    assert "grades:" not in today["text"]
    await press(emu, 4200, LessonCb(id=lesson.id, act="grades").pack())  # forged: still refused
    assert emu.texts(4200)[-1] == (
        "Class 1А takes no grades: in the first grade attendance, topics and homework are kept."
    )


async def test_teacher_who_is_a_parent_marks_own_lessons_only(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch, MONDAY + timedelta(hours=6))  # 16:00 in Barnaul: the day's lessons have begun
    emu = harness.emu
    await link(session, emu, "S06", 4300, "en")  # English, group 1; mother of P050 in 9В
    today = (await emu.say(4300, "/today"))[0]
    assert "(group 1)" in today["text"]
    lessons_today = await lessons.lessons_of_teacher(session, await person(session, "S06"), TODAY)
    await session.commit()
    lesson = lessons_today[0]
    students = await lesson_students(session, lesson)
    assert all(s.subgroup == "1" for s, _p in students)
    await press(emu, 4300, AttCb(lesson=lesson.id, op="t", student=students[0][0].id).pack())
    await press(emu, 4300, AttCb(lesson=lesson.id, op="save").pack())
    assert await session.scalar(select(func.count()).select_from(Attendance)) == 1
