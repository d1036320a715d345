"""Every button factory and every command, pressed or sent by every kind of outsider, with forged ids
aimed at one class's journal and family (5А): each is refused, and no row of the database changes.

The outsiders: someone not linked, a parent who declined consent, a student of another class, a
parent of another child, a teacher and a class teacher of other classes, and an administrator of
another school. A new CallbackData factory fails `test_every_button_factory_is_walked` until it is
added here.
"""

import inspect
from datetime import timedelta
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import callbacks as cb
from models import (
    AbsenceNote,
    AcademicPeriod,
    Attendance,
    Base,
    Grade,
    Homework,
    Notification,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    Subject,
)
from services import absence_notes, attendance, grades, homework
from services.menu import COMMANDS
from services.roles import Role
from tests.conftest import BotHarness
from tests.support.bot import link
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id

TODAY = MONDAY.date()
# Buttons that act on the presser's own account only (their language, consent, link, settings, own
# day in /today): nothing of anyone else's is in their data to forge.
OWN_ACCOUNT = {cb.ConsentCb, cb.LanguageCb, cb.LogoutCb, cb.LinkConfirmCb, cb.SettingsCb, cb.DayCb}
OUTSIDERS = (
    "unlinked",
    "parent who declined consent",
    "student of another class",
    "parent of another child",
    "teacher of another class",
    "tutor of another class",
    "admin of another school",
)
# Their roles, for the commands the menu does not offer them (those must be refused).
ROLES_OF = {
    "unlinked": frozenset(),
    "parent who declined consent": frozenset({Role.PARENT}),
    "student of another class": frozenset({Role.STUDENT}),
    "parent of another child": frozenset({Role.PARENT}),
    "teacher of another class": frozenset({Role.TEACHER, Role.TUTOR}),
    "tutor of another class": frozenset({Role.TEACHER, Role.TUTOR}),
    "admin of another school": frozenset({Role.ADMIN}),
}
SKIPPED_TABLES = {"link_attempt_windows"}  # counts of codes tried: none is tried here


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, MONDAY + timedelta(hours=2))  # 12:00 in Barnaul: the morning's lessons have begun


async def targets(session: AsyncSession) -> dict[str, int]:
    """5А's journal and family, filled in by those who may: ids for the forged buttons to aim at."""
    lesson = await lesson_of(session, "S04", TODAY, "RUS", "5А")
    child = await student_id(session, "P018")  # R017 is her mother
    teacher = await act_as(session, "S04")
    await attendance.save(session, teacher, lesson.id, {child: "absent"})
    grade = await grades.add(session, teacher, lesson.id, child, 4, absent_confirmed=True)
    task = await homework.post(session, teacher, lesson.id, "Упр. 12")
    mother = await person(session, "R017")
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await session.commit()
    note = await absence_notes.explain(
        session,
        await act_as(session, "R017"),
        student_id=child,
        on_date=TODAY,
        kind="illness",
        text="Болела",
        file_id=None,
    )
    summary = Notification(
        person_id=mother.id,
        category="summaries",
        kind="weekly_summary",
        lane="bulk",
        payload={},
        topic="s",
        dedup_key="s",
        status="sent",
        due_at=MONDAY,
        attempts=1,
    )
    session.add(summary)
    await session.commit()
    absent = await session.scalar(select(Attendance.id).where(Attendance.student_id == child))
    ids = {
        "lesson": lesson.id,
        "student": child,
        "grade": grade.id,
        "homework": task.id,
        "attendance": absent or 0,
        "note": note.id,
        "summary": summary.id,
        "teacher": lesson.teacher_id,
        "substitute": (await person(session, "S05")).id,
        "class": lesson.class_id,
        "subject": lesson.subject_id,
        "period": await session.scalar(select(AcademicPeriod.id).where(AcademicPeriod.external_id == "Q2")) or 0,
        "work_type": (await grades.work_types(session, teacher.school.id if teacher.school else 0))[0].id,
    }
    assert all(ids.values()), ids
    return ids


def forged_presses(t: dict[str, int]) -> list[CallbackData]:
    day = TODAY.toordinal()
    presses: list[CallbackData] = [cb.LessonCb(id=t["lesson"], act=act) for act in cb.LessonAct]
    presses += [cb.AttCb(lesson=t["lesson"], op=op, student=t["student"]) for op in cb.AttOp]
    presses += [
        cb.GradeCb(lesson=t["lesson"], op=op, student=t["student"], value=5, wt=t["work_type"]) for op in cb.GradeOp
    ]
    presses += [cb.GradeEditCb(grade=t["grade"], op=op, value=2) for op in cb.GradeEditOp]
    presses += [
        cb.HomeworkCb(lesson=t["lesson"], op=op, hw=t["homework"], day=day + 7, student=t["student"])
        for op in cb.HomeworkOp
    ]
    presses += [
        cb.ReasonCb(reason=cb.ReasonValue.ILLNESS, att=t["attendance"]),
        cb.ReasonCb(reason=cb.ReasonValue.EXCUSED, student=t["student"], day=day),
        cb.ReasonCb(reason=cb.ReasonValue.NONE, student=t["student"], day=day, op=cb.ReasonOp.LESSONS),
        cb.ReasonCb(reason=cb.ReasonValue.ILLNESS, student=t["student"], day=day, op=cb.ReasonOp.NOTE),
        cb.ReasonCb(reason=cb.ReasonValue.NONE, op=cb.ReasonOp.LIST),
    ]
    presses += [
        cb.PeriodCb(cls=t["class"], period=t["period"], subject=t["subject"]),
        cb.PeriodCb(cls=t["class"], period=t["period"], subject=t["subject"], student=t["student"]),
        cb.PeriodCb(cls=t["class"], period=t["period"], subject=t["subject"], student=t["student"], value="5"),
        cb.JournalCb(cls=t["class"]),
        cb.JournalCb(cls=t["class"], subject=t["subject"], week=day),
        cb.SubstituteCb(teacher=t["teacher"]),
        cb.SubstituteCb(teacher=t["teacher"], lesson=t["lesson"], to=t["substitute"]),
        cb.SummarySeenCb(n=t["summary"]),
        cb.ExplainCb(student=t["student"], day=day),
        cb.ExplainCb(student=t["student"], day=day, kind=cb.NoteKind.ILLNESS),
    ]
    presses += [cb.ChildCb(view=view, student=t["student"]) for view in cb.ChildView]
    presses += [cb.NoteCb(note=t["note"], op=op) for op in cb.NoteOp]
    presses += [cb.ChildMuteCb(student=t["student"])]
    return presses


async def everything(session: AsyncSession) -> dict[str, list[Any]]:
    """Every row of every table the diary keeps, as plain values."""
    rows = {}
    for table in Base.metadata.sorted_tables:
        if table.name not in SKIPPED_TABLES:
            result = await session.execute(text(f"SELECT * FROM {table.name} ORDER BY 1"))
            rows[table.name] = [tuple(row) for row in result]
    return rows


async def become(session: AsyncSession, emu, outsider: str, user: int) -> None:
    if outsider == "unlinked":
        await emu.say(user, "/start", language_code="en")
        return
    if outsider == "admin of another school":
        other = School(external_id="L2", name="Лицей № 2", timezone="Asia/Barnaul")
        session.add(other)
        await session.flush()
        admin = Person(school_id=other.id, last_name="Зуев", first_name="Пётр", staff_ref="Z01")
        session.add(admin)
        await session.flush()
        session.add(RoleGrant(person_id=admin.id, role="admin", school_id=other.id))
        await session.commit()
        await link(session, emu, "Z01", user, "en")
        return
    ref = {
        "parent who declined consent": "R019",
        "student of another class": "P035",  # 7Б
        "parent of another child": "R034",  # P035's mother, 7Б
        "teacher of another class": "S05",  # mathematics and physics in 7Б and 9В
        "tutor of another class": "S08",  # 1А
    }[outsider]
    subject = await person(session, ref)
    if outsider == "parent who declined consent":
        await session.execute(update(Person).where(Person.id == subject.id).values(consent_declined_at=MONDAY))
    elif outsider in ("student of another class", "parent of another child"):
        await session.execute(update(Person).where(Person.id == subject.id).values(consent_at=MONDAY))
    await session.commit()
    await link(session, emu, ref, user, "en")


def test_every_button_factory_is_walked() -> None:
    factories = {
        obj
        for _name, obj in inspect.getmembers(cb, inspect.isclass)
        if issubclass(obj, CallbackData) and obj is not CallbackData
    }
    walked = {type(p) for p in forged_presses(dict.fromkeys(("lesson", "student", "grade"), 1) | _ones())}
    assert factories == walked | OWN_ACCOUNT, factories - walked - OWN_ACCOUNT


def _ones() -> dict[str, int]:
    keys = ("homework", "attendance", "note", "summary", "teacher", "substitute", "class", "subject", "period")
    return dict.fromkeys((*keys, "work_type"), 1)


@pytest.mark.parametrize("outsider", OUTSIDERS)
async def test_outsiders_are_refused_everything_and_nothing_changes(
    outsider: str, demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    t = await targets(session)
    user = 9900 + OUTSIDERS.index(outsider)
    await become(session, emu, outsider, user)
    before = await everything(session)

    for press in forged_presses(t):
        anchor = (await emu.say(user, "/help"))[-1]["message_id"]  # a fresh screen to press on
        shown, answers = emu.texts(user), len(emu.callback_answers)
        await emu.wait_processed(await emu.press(user, anchor, press.pack()))
        # a refusal is an alert, a message, or the pressed screen edited to say so: never silence
        alerted = any(a.get("text") for a in emu.callback_answers[answers:])
        assert alerted or emu.texts(user) != shown, f"{outsider}: {press.pack()} got no answer"
    offered = {c.name for c in COMMANDS if c.roles is None or c.roles & ROLES_OF[outsider]}
    for command in sorted(c.name for c in COMMANDS if c.name not in offered):
        replies = await emu.say(user, f"/{command}")
        assert replies, f"{outsider}: /{command} got no answer"

    session.expire_all()
    after = await everything(session)
    changed = {name for name in before if before[name] != after[name]}
    assert not changed, f"{outsider} changed {changed}"
    # the targets are all still there, as their owners left them
    assert await session.scalar(select(Grade.value).where(Grade.id == t["grade"])) == 4
    assert await session.scalar(select(Homework.text).where(Homework.id == t["homework"])) == "Упр. 12"
    assert await session.scalar(select(AbsenceNote.status).where(AbsenceNote.id == t["note"])) == "pending"
    assert await session.scalar(select(Attendance.reason).where(Attendance.id == t["attendance"])) is None
    assert (await session.scalar(select(SchoolClass.name).where(SchoolClass.id == t["class"]))) == "5А"
    assert await session.scalar(select(Subject.id).where(Subject.id == t["subject"]))


async def test_command_line_services_refuse_every_bot_viewer(demo: None, session: AsyncSession) -> None:
    """What only the command line does takes an explicit operator, never a missing actor."""
    from services import work_type_admin
    from services.errors import NotAllowed
    from services.lessons import substitute_by_refs
    from services.link_codes import issue_codes_for

    admin = await act_as(session, "S01")
    with pytest.raises(NotAllowed):
        await work_type_admin.add(session, admin, None, "essay", "Сочинение")
    with pytest.raises(NotAllowed):
        await substitute_by_refs(session, admin, class_ref="C5A", on=TODAY, lesson_no=1, staff_ref="S05")
    with pytest.raises(NotAllowed):
        await issue_codes_for(session, [await person(session, "S03")], days=1, actor=admin)
