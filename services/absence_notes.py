"""The absence loop with the family: a parent explains a day's absence, the class teacher confirms
(which sets the reason) or rejects it with a comment, and the parent learns the outcome."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AbsenceNote, Attendance, Lesson, Person, SchoolClass, Student
from services import absences, audit, clock, outbox
from services.errors import N_, DiaryError, NotAllowed, NotFound
from services.outbox import Recipient
from services.push_kinds import PushKind
from services.roles import Viewer

KINDS = {"illness": "illness", "family": "excused", "other": "excused"}  # what a confirmed note sets


def require_may_explain(viewer: Viewer, student_id: int) -> Person:
    """A parent explains their child's absence; a student his own only in a college, where students
    are adults (002), never in a school. Checked at the button's press and again on saving."""
    person = viewer.require_diary_access()
    if student_id in viewer.child_student_ids:
        return person
    if student_id == viewer.own_student_id:
        if viewer.school is not None and viewer.school.kind == "college":
            return person
        raise NotAllowed(N_("Absences are explained by a parent; ask yours to do it in the bot."))
    raise NotAllowed(N_("You can see only your own child's diary."))


async def days_to_explain(session: AsyncSession, viewer: Viewer, student_id: int, days: list[date]) -> list[date]:
    """Of these days with an absence without a reason, those this viewer may still explain: none
    for someone who may not (a school's student), and none already waiting in a note."""
    try:
        require_may_explain(viewer, student_id)
    except NotAllowed:
        return []
    waiting = set(
        await session.scalars(
            select(AbsenceNote.on_date).where(
                AbsenceNote.student_id == student_id,
                AbsenceNote.on_date.in_(days),
                AbsenceNote.status == "pending",
            )
        )
    )
    return sorted({d for d in days if d not in waiting})


async def require_explainable(session: AsyncSession, viewer: Viewer, student_id: int, on_date: date) -> Person:
    """The day has an absence still without a reason and no note waiting: checked at the press of an
    old push's "Explain" button as well as on saving, so a settled day is not explained again."""
    person = require_may_explain(viewer, student_id)
    marks = list(
        await session.execute(
            select(Attendance.reason)
            .join(Lesson, Lesson.id == Attendance.lesson_id)
            .where(Attendance.student_id == student_id, Lesson.on_date == on_date, Attendance.mark == "absent")
        )
    )
    if not marks:
        raise NotFound(N_("There is no such absence in the journal."))
    if all(reason is not None for (reason,) in marks):
        raise DiaryError(N_("The absence of {date} already has a reason from the class teacher."), date=on_date)
    waiting = await session.scalar(
        select(AbsenceNote.id).where(
            AbsenceNote.student_id == student_id, AbsenceNote.on_date == on_date, AbsenceNote.status == "pending"
        )
    )
    if waiting is not None:
        raise DiaryError(
            N_("The note about {date} is already with the class teacher; the answer will come here."), date=on_date
        )
    return person


async def explain(
    session: AsyncSession,
    viewer: Viewer,
    *,
    student_id: int,
    on_date: date,
    kind: str,
    text: str | None,
    file_id: str | None,
) -> AbsenceNote:
    person = await require_explainable(session, viewer, student_id, on_date)
    if kind not in KINDS:
        raise DiaryError(N_("Choose illness, family reasons or other."))
    if not (text or "").strip() and not file_id:
        raise DiaryError(N_("Add a few words or a photo of the note."))
    note = AbsenceNote(
        student_id=student_id,
        on_date=on_date,
        author_id=person.id,
        kind=kind,
        text=(text or "").strip() or None,
        file_id=file_id,
    )
    session.add(note)
    await session.flush()
    tutor = await session.scalar(
        select(SchoolClass.tutor_id).join(Student, Student.class_id == SchoolClass.id).where(Student.id == student_id)
    )
    audit.record(
        session,
        action="absence_note_sent",
        entity="absence_note",
        entity_id=note.id,
        school_id=person.school_id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        after={"kind": kind, "on_date": on_date.isoformat(), "student_id": student_id},
    )
    if tutor is not None:
        await outbox.push(
            session,
            [Recipient(tutor, None)],
            category="notes",
            kind=PushKind.ABSENCE_NOTE,
            topic=f"note:{note.id}",
            grace=False,
            payload={
                "note_id": note.id,
                "student_id": student_id,
                "on_date": on_date.isoformat(),
                "note_kind": kind,
                "text": note.text,
                "file_id": file_id,
            },
        )
    await session.flush()
    return note


async def waiting(session: AsyncSession, viewer: Viewer) -> list[tuple[AbsenceNote, str]]:
    """The notes of the tutor's classes waiting for a decision, oldest first, with the student's name."""
    viewer.require_linked()
    rows = await session.execute(
        select(AbsenceNote, Person.last_name, Person.first_name)
        .join(Student, Student.id == AbsenceNote.student_id)
        .join(Person, Person.id == Student.person_id)
        .where(Student.class_id.in_(viewer.tutor_class_ids), AbsenceNote.status == "pending")
        .order_by(AbsenceNote.created_at, AbsenceNote.id)
    )
    return [(note, f"{last} {first}") for note, last, first in rows]


async def pending_note(session: AsyncSession, viewer: Viewer, note_id: int) -> AbsenceNote:
    """A note this class teacher may still decide; checked at the press, before a comment is typed."""
    viewer.require_linked()
    note = await session.get(AbsenceNote, note_id)
    if note is None:
        raise NotFound(N_("There is no such note."))
    class_id = await session.scalar(select(Student.class_id).where(Student.id == note.student_id))
    if class_id not in viewer.tutor_class_ids:
        raise NotAllowed(N_("Only the class teacher of this student's class gives absence reasons."))
    if note.status != "pending":
        raise DiaryError(N_("This note has been decided already."))
    return note


async def decide(
    session: AsyncSession, viewer: Viewer, note_id: int, *, confirm: bool, comment: str | None = None
) -> AbsenceNote:
    person = viewer.require_linked()
    note = await pending_note(session, viewer, note_id)
    if confirm:
        await absences.give_reason(
            session,
            viewer,
            reason=KINDS[note.kind],
            student_id=note.student_id,
            on_date=note.on_date,
            note=note.text,
            file_id=note.file_id,
            told_otherwise=frozenset({note.author_id}),
        )
    note.status = "confirmed" if confirm else "rejected"
    note.decided_by, note.decided_at = person.id, clock.now()
    note.comment = (comment or "").strip() or None
    audit.record(
        session,
        action=f"absence_note_{note.status}",
        entity="absence_note",
        entity_id=note.id,
        school_id=person.school_id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        after={"status": note.status, "comment": note.comment},
    )
    await outbox.push(
        session,
        [Recipient(note.author_id, None)],
        category="absences",
        kind=PushKind.ABSENCE_NOTE_DECIDED,
        topic=f"note-decided:{note.id}",
        grace=False,
        payload={
            "student_id": note.student_id,
            "on_date": note.on_date.isoformat(),
            "status": note.status,
            "comment": note.comment,
        },
    )
    await session.flush()
    return note
