"""The update owns the transaction: a step that fails midway leaves nothing half-done."""

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import NoteCb
from models import AbsenceNote, Attendance, AuditEntry, Notification, Person
from services import absence_notes, attendance, audit
from tests.conftest import BotHarness
from tests.support.bot import link
from tests.support.journal import MONDAY, act_as, freeze, lesson_of, person, student_id


async def test_a_note_confirmed_halfway_saves_neither_the_reason_nor_the_status(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch
) -> None:
    """Confirming a note sets the absence's reason, then the note's status, then the family's push.
    Before, the reason was committed on its own: a failure after it left the reason saved and the
    note pending. Now the tutor's press is one unit of work."""
    freeze(monkeypatch)
    emu = harness.emu
    child = await student_id(session, "P018")
    mother = await person(session, "R017")
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await session.commit()
    lesson = await lesson_of(session, "S03", MONDAY.date(), "MATH", "5А")
    await attendance.save(session, await act_as(session, "S03"), lesson.id, {child: "absent"})
    note = await absence_notes.explain(
        session,
        await act_as(session, "R017"),
        student_id=child,
        on_date=MONDAY.date(),
        kind="illness",
        text="Температура",
        file_id=None,
    )
    await session.commit()
    note_id = note.id
    await link(session, emu, "S03", 9102, "en")
    counts = [await session.scalar(select(func.count()).select_from(table)) for table in (Notification, AuditEntry)]

    real_record = audit.record

    def failing_record(s, **entry):  # the step after the reason is given: the note's own audit entry
        if entry.get("action") == "absence_note_confirmed":
            raise RuntimeError("the database went away")
        return real_record(s, **entry)

    monkeypatch.setattr(audit, "record", failing_record)
    anchor = (await emu.say(9102, "/help"))[-1]["message_id"]
    await emu.wait_processed(await emu.press(9102, anchor, NoteCb(note=note_id, op="ok").pack()))
    assert emu.texts(9102)[-1].startswith("Something went wrong on our side and nothing was saved.")

    session.expire_all()
    assert await session.scalar(select(Attendance.reason).where(Attendance.student_id == child)) is None
    assert await session.scalar(select(AbsenceNote.status).where(AbsenceNote.id == note_id)) == "pending"
    assert [
        await session.scalar(select(func.count()).select_from(table)) for table in (Notification, AuditEntry)
    ] == counts

    monkeypatch.setattr(audit, "record", real_record)
    await emu.wait_processed(await emu.press(9102, anchor, NoteCb(note=note_id, op="ok").pack()))
    session.expire_all()
    assert await session.scalar(select(Attendance.reason).where(Attendance.student_id == child)) == "illness"
    assert await session.scalar(select(AbsenceNote.status).where(AbsenceNote.id == note_id)) == "confirmed"
