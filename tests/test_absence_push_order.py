"""A reason given inside an absence's grace period reaches the family after the absence, and a
note's author hears the decision once."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Notification, Person
from services import absence_notes, absences, attendance
from services.push_kinds import PushKind
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id


async def consenting(session: AsyncSession, *refs: str) -> None:
    for ref in refs:
        await session.execute(
            update(Person).where(Person.id == (await person(session, ref)).id).values(consent_at=MONDAY)
        )


async def test_a_reason_waits_for_the_absence_it_explains(demo: None, session: AsyncSession, monkeypatch) -> None:
    freeze(monkeypatch)
    child = await student_id(session, "P018")
    await consenting(session, "R017", "P018")
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {child: "absent"})
    await absences.give_reason(
        session, await act_as(session, "S03"), reason="illness", student_id=child, on_date=MONDAY.date()
    )
    await session.flush()
    rows = list(await session.scalars(select(Notification).where(Notification.status == "pending")))
    by_person: dict[int, dict[str, Notification]] = {}
    for row in rows:
        by_person.setdefault(row.person_id, {})[row.kind] = row
    assert len(by_person) == 2, "the mother and the student"
    for kinds in by_person.values():
        assert kinds[PushKind.REASON_GIVEN].due_at > kinds[PushKind.ABSENCE_MARKED].due_at


async def test_the_notes_author_hears_the_decision_not_the_reason_again(
    demo: None, session: AsyncSession, monkeypatch
) -> None:
    freeze(monkeypatch)
    child = await student_id(session, "P018")
    mother = await person(session, "R017")
    await consenting(session, "R017", "P018")
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {child: "absent"})
    note = await absence_notes.explain(
        session,
        await act_as(session, "R017"),
        student_id=child,
        on_date=MONDAY.date(),
        kind="illness",
        text="Болела",
        file_id=None,
    )
    await absence_notes.decide(session, await act_as(session, "S03"), note.id, confirm=True)
    await session.flush()
    mothers = list(await session.scalars(select(Notification.kind).where(Notification.person_id == mother.id)))
    assert PushKind.ABSENCE_NOTE_DECIDED in mothers and PushKind.REASON_GIVEN not in mothers
    student = await person(session, "P018")
    students = list(await session.scalars(select(Notification.kind).where(Notification.person_id == student.id)))
    assert students.count(PushKind.REASON_GIVEN) == 1
