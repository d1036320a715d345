"""The journal's rules on a real database: lessons, attendance, grades, homework, reasons, outbox."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Attendance, AuditEntry, Grade, Lesson, Notification, Person, WorkType
from services import absences, attendance, grades, homework, lessons
from services.class_lists import lesson_students
from services.errors import DiaryError, NotAllowed
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


async def consent_all(session: AsyncSession) -> None:
    from sqlalchemy import update

    await session.execute(update(Person).values(consent_at=MONDAY))
    await session.commit()


async def test_lessons_come_from_the_timetable_and_stay_stable(demo: None, session: AsyncSession) -> None:
    teacher = await person(session, "S03")
    first = await lessons.lessons_of_teacher(session, teacher, TODAY)
    again = await lessons.lessons_of_teacher(session, teacher, TODAY)
    assert first and [lesson.id for lesson in first] == [lesson.id for lesson in again]
    assert all(lesson.on_date == TODAY for lesson in first)
    assert [lesson.starts_at for lesson in first] == sorted(lesson.starts_at for lesson in first)
    # the autumn holidays (between the quarters) have no lessons
    assert await lessons.lessons_of_teacher(session, teacher, date(2026, 11, 2)) == []
    assert await lessons.lessons_of_teacher(session, teacher, date(2026, 11, 29)) == []  # a Sunday


async def test_subgroup_lesson_lists_only_its_subgroup(demo: None, session: AsyncSession) -> None:
    day = TODAY
    for offset in range(7):
        try:
            lesson = await lesson_of(session, "S07", day + timedelta(days=offset), "ENG", "5А")
            break
        except AssertionError:
            continue
    students = await lesson_students(session, lesson)
    assert lesson.subgroup == "2" and len(students) == 7
    assert all(s.subgroup == "2" for s, _p in students)


async def test_attendance_save_records_differences_and_pushes_to_consenting_family(
    demo: None, session: AsyncSession
) -> None:
    await consent_all(session)
    teacher = await act_as(session, "S03")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    students = [s.id for s, _p in await lesson_students(session, lesson)]
    changed = await attendance.save(session, teacher, lesson.id, {students[0]: "absent", students[1]: "late"})
    await session.commit()
    assert set(changed) == {students[0], students[1]}
    pushes = list(await session.scalars(select(Notification).where(Notification.kind == "absence_marked")))
    assert pushes and {p.payload["student_id"] for p in pushes} == {students[0], students[1]}
    assert all(p.due_at > MONDAY for p in pushes), "absence pushes wait the grace period"
    # saving again with one change records only that one
    changed = await attendance.save(session, teacher, lesson.id, {students[0]: "absent"})
    await session.commit()
    assert changed == [students[1]]
    rows = {a.student_id: a.mark for a in await session.scalars(select(Attendance))}
    assert rows == {students[0]: "absent", students[1]: "present"}
    # the late mark was withdrawn inside the grace period: its push is cancelled, not doubled
    late = list(
        await session.scalars(
            select(Notification).where(Notification.payload["student_id"].as_integer() == students[1])
        )
    )
    assert late and all(n.status == "cancelled" for n in late)
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "attendance_marked")
        )
        == 3
    )


async def test_pushes_go_only_to_consenting_student_and_parents(demo: None, session: AsyncSession) -> None:
    teacher = await act_as(session, "S03")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    p016 = await student_id(session, "P016")  # the parent R015 has two children
    mother = await person(session, "R015")
    mother.consent_at = MONDAY
    await session.commit()
    await attendance.save(session, teacher, lesson.id, {p016: "absent"})
    await session.commit()
    recipients = set(await session.scalars(select(Notification.person_id)))
    assert recipients == {mother.id}, "the student has not consented, the mother has"


async def test_only_the_lessons_teacher_marks_and_never_the_future(demo: None, session: AsyncSession) -> None:
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    sid = (await lesson_students(session, lesson))[0][0].id
    for ref in ("S04", "S01", "P020", "R015"):  # another teacher, an admin, a student, a parent
        with pytest.raises(DiaryError):
            await attendance.save(session, await act_as(session, ref), lesson.id, {sid: "absent"})
    tomorrow = await lesson_of(session, "S03", TODAY + timedelta(days=1))
    with pytest.raises(NotAllowed):
        await attendance.save(session, await act_as(session, "S03"), tomorrow.id, {})
    assert await session.scalar(select(func.count()).select_from(Attendance)) == 0


async def test_forged_student_from_another_class_is_refused(demo: None, session: AsyncSession) -> None:
    teacher = await act_as(session, "S03")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    stranger = await student_id(session, "P050")  # 9В
    with pytest.raises(NotAllowed):
        await attendance.save(session, teacher, lesson.id, {stranger: "absent"})
    with pytest.raises(NotAllowed):
        await grades.add(session, teacher, lesson.id, stranger, 5)


async def test_substitute_marks_like_the_teacher(demo: None, session: AsyncSession) -> None:
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    admin = await act_as(session, "S01")
    await lessons.substitute(session, admin, lesson.id, (await person(session, "S07")).id)
    await session.commit()
    sid = (await lesson_students(session, lesson))[0][0].id
    await attendance.save(session, await act_as(session, "S07"), lesson.id, {sid: "absent"})
    await session.commit()
    with pytest.raises(NotAllowed):
        await attendance.save(session, await act_as(session, "S03"), lesson.id, {})
    with pytest.raises(NotAllowed):
        await lessons.substitute(session, await act_as(session, "S03"), lesson.id, None)
    subs = await lessons.lessons_of_teacher(session, await person(session, "S07"), TODAY)
    assert lesson.id in [s.id for s in subs]


async def test_grades_scale_window_first_grade_and_tombstones(
    demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await consent_all(session)
    teacher = await act_as(session, "S03")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    sid = (await lesson_students(session, lesson))[0][0].id
    test_type = await session.scalar(select(WorkType.id).where(WorkType.code == "test"))
    for value in (1, 6, 7):
        with pytest.raises(DiaryError):
            await grades.add(session, teacher, lesson.id, sid, value)
    low = await grades.add(session, teacher, lesson.id, sid, 2)
    await session.commit()
    high = await grades.add(session, teacher, lesson.id, sid, 5, test_type, "контрольная")
    await session.commit()
    assert (low.value, high.value) == (2, 5)
    await grades.change(session, teacher, high.id, value=4)
    await session.commit()
    pending = list(await session.scalars(select(Notification).where(Notification.topic.like(f"grade:{high.id}:%"))))
    assert pending and all(n.kind == "grade_created" and n.payload["value"] == 4 for n in pending), (
        "a correction inside the grace period replaces the pending push"
    )
    await grades.delete(session, teacher, low.id)
    await session.commit()
    assert (await session.get(Grade, low.id)).deleted_at is not None
    assert [g.id for g in await grades.of_lesson(session, teacher, lesson.id)] == [high.id]
    actions = list(
        await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "grade").order_by(AuditEntry.id))
    )
    assert actions == ["grade_created", "grade_created", "grade_changed", "grade_deleted"]

    first_grade = await lesson_of(session, "S08", TODAY, class_name="1А")
    with pytest.raises(NotAllowed) as refused:
        await grades.add(
            session,
            await act_as(session, "S08"),
            first_grade.id,
            (await lesson_students(session, first_grade))[0][0].id,
            5,
        )
    assert "first grade" in refused.value.message


async def test_edit_window_boundary(demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, MONDAY + timedelta(days=1))  # Tuesday 24 November
    teacher = await act_as(session, "S03")
    last_editable = date(2026, 11, 10)  # 14 days back: a Tuesday
    first_closed = date(2026, 11, 9)  # 15 days back: a Monday
    lesson = await lesson_of(session, "S03", last_editable, "MATH", "5А")
    sid = (await lesson_students(session, lesson))[0][0].id
    await grades.add(session, teacher, lesson.id, sid, 3)
    await session.commit()
    await attendance.save(session, teacher, lesson.id, {sid: "absent"})
    await session.commit()
    closed = await lesson_of(session, "S03", first_closed, "MATH", "5А")
    with pytest.raises(NotAllowed) as refused:
        await grades.add(session, teacher, closed.id, sid, 3)
    assert refused.value.params == {"date": date(2026, 11, 9), "days": 14, "first": date(2026, 11, 10)}
    with pytest.raises(NotAllowed):
        await attendance.save(session, teacher, closed.id, {sid: "absent"})
    tutor = await act_as(session, "S03")  # 5А's class teacher: the window binds reasons too
    await attendance.save(session, teacher, lesson.id, {sid: "absent"})
    await session.commit()
    freeze(monkeypatch, MONDAY + timedelta(days=2))
    with pytest.raises(NotAllowed):
        await absences.give_reason(session, tutor, reason="illness", student_id=sid, on_date=last_editable)


async def test_homework_due_at_next_lesson_with_attachments(demo: None, session: AsyncSession) -> None:
    await consent_all(session)
    teacher = await act_as(session, "S03")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    hw = await homework.post(
        session, teacher, lesson.id, "№ 245, 247", attachments=[homework.Attachment("photo", "PHOTO-1")]
    )
    await session.commit()
    assert hw.due_on is not None and hw.due_on > TODAY
    assert (await lessons.next_lesson_date(session, lesson)) == hw.due_on
    assert [a.file_id for a in await homework.attachments_of(session, teacher, hw.id)] == ["PHOTO-1"]
    await homework.set_topic(session, teacher, lesson.id, "Сложение дробей")
    await session.commit()
    pushes = list(await session.scalars(select(Notification).where(Notification.kind == "homework_created")))
    assert len({p.person_id for p in pushes}) == len(pushes) > 15
    sid = (await lesson_students(session, lesson))[0][0].id
    own = await homework.post(session, teacher, lesson.id, "Переписать работу", student_id=sid)
    await session.commit()
    assert own.student_id == sid
    with pytest.raises(DiaryError):
        await homework.post(session, teacher, lesson.id, "x", due_on=TODAY - timedelta(days=1))
    with pytest.raises(NotAllowed):
        await homework.post(session, await act_as(session, "S04"), lesson.id, "чужое")
    # A date past the next lessons the bot offers is a slip (or a forged press), refused for the bot too.
    last = (await homework.due_dates(session, lesson))[-1]
    with pytest.raises(DiaryError):
        await homework.edit(session, teacher, hw.id, due_on=last + timedelta(days=1))
    await homework.edit(session, teacher, hw.id, due_on=last)


async def test_removed_homework_takes_its_waiting_pushes_with_it(demo: None, session: AsyncSession) -> None:
    """The pushes wait out the grace period under one topic a student and reader
    (homework:{id}:s{student}:p{person}): removing the homework inside it cancels every one."""
    await consent_all(session)
    teacher = await act_as(session, "S03")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    hw = await homework.post(session, teacher, lesson.id, "№ 245")
    await session.commit()
    waiting = select(Notification).where(Notification.kind == "homework_created", Notification.status == "pending")
    assert len(list(await session.scalars(waiting))) > 15
    assert await homework.delete(session, teacher, hw.id) == 0  # nobody had it yet
    await session.commit()
    assert not list(await session.scalars(waiting))
    assert not list(await session.scalars(select(Notification).where(Notification.kind == "homework_removed")))
    await homework.set_topic(session, teacher, lesson.id, "Дроби")
    await homework.clear_topic(session, teacher, lesson.id)
    await session.commit()
    assert (await session.get(Lesson, lesson.id)).topic is None  # type: ignore[union-attr]


async def test_removed_homework_is_withdrawn_for_those_who_had_it(demo: None, session: AsyncSession) -> None:
    """Once sent, a removed homework is told withdrawn to those who got it, and to nobody else."""
    await consent_all(session)
    teacher = await act_as(session, "S03")
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    hw = await homework.post(session, teacher, lesson.id, "№ 245")
    await session.commit()
    pushes = list(await session.scalars(select(Notification).where(Notification.kind == "homework_created")))
    reached = pushes[:3]
    for push in reached:
        push.status = "sent"
    await session.commit()
    assert await homework.delete(session, teacher, hw.id) == 3
    await session.commit()
    withdrawn = list(await session.scalars(select(Notification).where(Notification.kind == "homework_removed")))
    assert sorted(p.person_id for p in withdrawn) == sorted(p.person_id for p in reached)
    assert all(p.payload["homework_id"] == hw.id for p in withdrawn)


async def test_tutor_gives_reasons_teacher_cannot(demo: None, session: AsyncSession) -> None:
    await consent_all(session)
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "7Б")
    students = [s.id for s, _p in await lesson_students(session, lesson)]
    await attendance.save(
        session, await act_as(session, "S03"), lesson.id, {students[0]: "absent", students[1]: "absent"}
    )
    await session.commit()
    with pytest.raises(NotAllowed):  # S03 teaches 7Б but is 5А's tutor
        await absences.give_reason(
            session, await act_as(session, "S03"), reason="illness", student_id=students[0], on_date=TODAY
        )
    tutor = await act_as(session, "S04")  # class teacher of 7Б
    waiting = await absences.unexplained(session, tutor)
    assert [d.student_id for d in waiting] == sorted(
        students[:2], key=lambda s: [d.student_id for d in waiting].index(s)
    )
    assert not any(d.overdue for d in waiting)
    await absences.give_reason(session, tutor, reason="illness", student_id=students[0], on_date=TODAY)
    await session.commit()
    assert [d.student_id for d in await absences.unexplained(session, tutor)] == [students[1]]
    with pytest.raises(DiaryError):
        await absences.give_reason(session, tutor, reason="holiday", attendance_id=waiting[0].lessons[0].attendance_id)


def test_working_days() -> None:
    friday = date(2026, 11, 27)
    assert absences.working_days_after(friday, 2) == date(2026, 12, 1)
    assert absences.working_days_after(date(2026, 11, 23), 2) == date(2026, 11, 25)


async def test_overdue_reasons_are_flagged(demo: None, session: AsyncSession, monkeypatch) -> None:
    lesson = await lesson_of(session, "S04", TODAY, class_name="7Б")
    sid = (await lesson_students(session, lesson))[0][0].id
    await attendance.save(session, await act_as(session, "S04"), lesson.id, {sid: "absent"})
    await session.commit()
    freeze(monkeypatch, MONDAY + timedelta(days=3))  # Thursday: past 2 working days
    waiting = await absences.unexplained(session, await act_as(session, "S04"))
    assert waiting and waiting[0].overdue
    assert isinstance(await session.get(Lesson, lesson.id), Lesson)


async def test_a_reason_for_the_day_keeps_a_lessons_own_reason(demo: None, session: AsyncSession) -> None:
    """The class teacher gave lesson 1 "unexcused"; a reason for the day then covers only the rest."""
    from models import Attendance

    tutor = await act_as(session, "S03")
    sid = await student_id(session, "P018")
    day = await lessons.lessons_of_class(session, await class_of(session, "C5A"), TODAY)
    await session.commit()
    teacher_lessons = [ls for ls in day if ls.subgroup is None][:2]
    for lesson in teacher_lessons:
        teacher = await act_as(session, await staff_ref_of(session, lesson.teacher_id))
        await attendance.save(session, teacher, lesson.id, {sid: "absent"})
    await session.commit()
    first = await session.scalar(
        select(Attendance.id).where(Attendance.lesson_id == teacher_lessons[0].id, Attendance.student_id == sid)
    )
    await absences.give_reason(session, tutor, reason="unexcused", attendance_id=first)
    await absences.give_reason(session, tutor, reason="excused", student_id=sid, on_date=TODAY)
    await session.commit()
    reasons = dict(
        (
            await session.execute(select(Attendance.lesson_id, Attendance.reason).where(Attendance.student_id == sid))
        ).all()
    )
    assert reasons == {teacher_lessons[0].id: "unexcused", teacher_lessons[1].id: "excused"}


async def class_of(session: AsyncSession, ref: str):
    from models import SchoolClass

    return await session.scalar(select(SchoolClass).where(SchoolClass.external_id == ref))


async def staff_ref_of(session: AsyncSession, person_id: int) -> str:
    from models import Person

    return await session.scalar(select(Person.staff_ref).where(Person.id == person_id))
