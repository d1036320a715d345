"""Lesson topic and homework (000 §2.8): text, photos and documents, due at the next lesson."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Homework, HomeworkAttachment, Lesson, Person
from services import audit, clock, outbox
from services.class_lists import lesson_students, require_in_lesson
from services.errors import N_, DiaryError, NotFound
from services.journal_policy import require_editable, require_lesson_reader, require_lesson_writer
from services.lessons import get_lesson, next_lesson_date, school_of, upcoming_lesson_dates
from services.push_kinds import PushKind
from services.roles import Viewer

MAX_TOPIC = 500
MAX_HOMEWORK = 3000
# A due date is one of the subject's next lessons, as many as the bot offers to choose from
# (handlers/journal_homework.on_due) and the Mini App lists; without any lesson in the search horizon,
# up to that horizon. A date years ahead is a slip of the finger, and a forged press.
DUE_LESSONS = 4
DUE_HORIZON = timedelta(days=35)


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo | document
    file_id: str
    file_name: str | None = None


async def writable_lesson(session: AsyncSession, viewer: Viewer, lesson_id: int) -> Lesson:
    """A lesson whose topic and homework this person may write now: asked at the button's press,
    before anything is typed, and again when it is saved."""
    lesson = await get_lesson(session, lesson_id)
    await require_lesson_writer(session, viewer, lesson)
    require_editable(await school_of(session, lesson), lesson.on_date)
    return lesson


async def set_topic(session: AsyncSession, viewer: Viewer, lesson_id: int, topic: str) -> Lesson:
    lesson = await writable_lesson(session, viewer, lesson_id)
    person = viewer.require_linked()
    text = topic.strip()
    if not text:
        raise DiaryError(N_("The topic is empty; send its text."))
    if len(text) > MAX_TOPIC:
        raise DiaryError(N_("The topic is too long: at most {limit} characters."), limit=MAX_TOPIC)
    await _write_topic(session, viewer, person, lesson, text)
    return lesson


async def _write_topic(session: AsyncSession, viewer: Viewer, person: Person, lesson: Lesson, text: str | None) -> None:
    """The topic written (None: taken away), with its audit entry."""
    before, lesson.topic = lesson.topic, text
    audit.record(
        session,
        action="topic_set",
        entity="lesson",
        entity_id=lesson.id,
        school_id=(await school_of(session, lesson)).id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        before={"topic": before},
        after={"topic": text},
    )
    await session.flush()


async def clear_topic(session: AsyncSession, viewer: Viewer, lesson_id: int) -> Lesson:
    """The lesson's topic taken away (a topic written into the wrong lesson), audited like setting one."""
    lesson = await writable_lesson(session, viewer, lesson_id)
    person = viewer.require_linked()
    if lesson.topic is not None:
        await _write_topic(session, viewer, person, lesson, None)
    return lesson


async def default_due(session: AsyncSession, lesson: Lesson) -> date | None:
    return await next_lesson_date(session, lesson)


async def due_dates(session: AsyncSession, lesson: Lesson) -> list[date]:
    """The dates a homework of the lesson may be due on: the subject's next lessons."""
    return await upcoming_lesson_dates(session, lesson, count=DUE_LESSONS)


async def _check_due(session: AsyncSession, lesson: Lesson, due_on: date | None) -> None:
    """A due date chosen by hand: not after the last of the next lessons offered (the date before the
    lesson itself is refused by _check)."""
    if due_on is None or due_on <= lesson.on_date:
        return
    offered = await due_dates(session, lesson)
    last = offered[-1] if offered else lesson.on_date + DUE_HORIZON
    if due_on > last:
        raise DiaryError(N_("Homework is due at one of the next lessons: {date} at the latest."), date=last)


def snapshot(homework: Homework, attachments: list[HomeworkAttachment] | None = None) -> dict[str, object]:
    data: dict[str, object] = {
        "text": homework.text,
        "due_on": homework.due_on.isoformat() if homework.due_on else None,
        "student_id": homework.student_id,
    }
    if attachments is not None:
        data["attachments"] = [a.file_id for a in attachments]
    return data


async def _students_of(session: AsyncSession, lesson: Lesson, homework: Homework) -> list[int]:
    """Whose homework it is: one student's own task, or the lesson's students."""
    if homework.student_id is not None:
        return [homework.student_id]
    return [s.id for s, _p in await lesson_students(session, lesson)]


def _payload(lesson: Lesson, homework: Homework) -> dict[str, object]:
    return {
        "homework_id": homework.id,
        "lesson_id": lesson.id,
        "subject_id": lesson.subject_id,
        "due_on": homework.due_on.isoformat() if homework.due_on else None,
    }


async def _push(session: AsyncSession, lesson: Lesson, homework: Homework, kind: str) -> None:
    """Each student's family learns of it with that student's name (a parent may have two)."""
    students = await _students_of(session, lesson, homework)
    families = await outbox.family_of(session, students)
    payload = _payload(lesson, homework)
    items = [
        (r, f"homework:{homework.id}:s{sid}", {**payload, "student_id": sid}) for sid in students for r in families[sid]
    ]
    await outbox.push_many(session, items, category="homework", kind=kind)


def _check(text: str, due_on: date | None, lesson: Lesson) -> str:
    text = text.strip()
    if not text:
        raise DiaryError(N_("The homework is empty; send its text (photos and files may come with it)."))
    if len(text) > MAX_HOMEWORK:
        raise DiaryError(N_("The homework is too long: at most {limit} characters."), limit=MAX_HOMEWORK)
    if due_on is not None and due_on < lesson.on_date:
        raise DiaryError(N_("Homework cannot be due before the lesson it was given in ({date})."), date=lesson.on_date)
    return text


async def post(
    session: AsyncSession,
    viewer: Viewer,
    lesson_id: int,
    text: str,
    *,
    attachments: Sequence[Attachment] = (),
    due_on: date | None = None,
    student_id: int | None = None,
) -> Homework:
    lesson = await writable_lesson(session, viewer, lesson_id)
    person = viewer.require_linked()
    if student_id is not None:
        await require_in_lesson(session, lesson, {student_id})
    await _check_due(session, lesson, due_on)
    due = due_on or await default_due(session, lesson)
    text = _check(text, due, lesson)
    homework = Homework(lesson_id=lesson.id, student_id=student_id, text=text, due_on=due, given_by=person.id)
    session.add(homework)
    await session.flush()
    files = [
        HomeworkAttachment(homework_id=homework.id, kind=a.kind, file_id=a.file_id, file_name=a.file_name)
        for a in attachments
    ]
    session.add_all(files)
    school = await school_of(session, lesson)
    audit.record(
        session,
        action="homework_created",
        entity="homework",
        entity_id=homework.id,
        school_id=school.id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        after=snapshot(homework, files),
    )
    await _push(session, lesson, homework, PushKind.HOMEWORK_CREATED)
    await session.flush()
    return homework


async def _own(session: AsyncSession, viewer: Viewer, homework_id: int) -> tuple[Homework, Lesson]:
    homework = await session.get(Homework, homework_id)
    if homework is None or homework.deleted_at is not None:
        raise NotFound(N_("This homework is not in the journal (it may have been removed)."))
    lesson = await get_lesson(session, homework.lesson_id)
    await require_lesson_writer(session, viewer, lesson)
    require_editable(await school_of(session, lesson), lesson.on_date)
    return homework, lesson


async def edit(
    session: AsyncSession,
    viewer: Viewer,
    homework_id: int,
    *,
    text: str | None = None,
    due_on: date | None = None,
    add_attachments: Sequence[Attachment] = (),
    append: bool = False,
) -> Homework:
    """Changes a homework; with `append`, the text is added on a new line instead of replacing it
    (a teacher who sends the task in two messages means both)."""
    homework, lesson = await _own(session, viewer, homework_id)
    person = viewer.require_linked()
    before = snapshot(homework, await _attachments(session, homework.id))
    if text is not None and append and homework.text:
        text = f"{homework.text}\n{text}"
    await _check_due(session, lesson, due_on)
    homework.text = _check(text if text is not None else homework.text, due_on or homework.due_on, lesson)
    if due_on is not None:
        homework.due_on = due_on
    session.add_all(
        HomeworkAttachment(homework_id=homework.id, kind=a.kind, file_id=a.file_id, file_name=a.file_name)
        for a in add_attachments
    )
    await session.flush()
    after = snapshot(homework, await _attachments(session, homework.id))
    if after == before:
        return homework
    homework.updated_at = clock.now()
    school = await school_of(session, lesson)
    audit.record(
        session,
        action="homework_changed",
        entity="homework",
        entity_id=homework.id,
        school_id=school.id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        before=before,
        after=after,
    )
    await _push(session, lesson, homework, PushKind.HOMEWORK_CHANGED)
    await session.flush()
    return homework


async def delete(session: AsyncSession, viewer: Viewer, homework_id: int) -> int:
    """Removes the homework; its waiting pushes go with it, and those who were sent it are told it is
    withdrawn: how many of them."""
    homework, lesson = await _own(session, viewer, homework_id)
    person = viewer.require_linked()
    homework.deleted_at = clock.now()
    school = await school_of(session, lesson)
    audit.record(
        session,
        action="homework_deleted",
        entity="homework",
        entity_id=homework.id,
        school_id=school.id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        before=snapshot(homework),
    )
    await outbox.cancel(session, f"homework:{homework.id}")
    told = await _tell_removed(session, lesson, homework)
    await session.flush()
    return told


async def _tell_removed(session: AsyncSession, lesson: Lesson, homework: Homework) -> int:
    """Those who were sent the homework learn it is gone (the others never heard of it: its waiting
    pushes were just cancelled); else /homework says «nothing set» beside a task still in the chat."""
    students = await _students_of(session, lesson, homework)
    families = await outbox.family_of(session, students)
    told = await outbox.told(session, {f"homework:{homework.id}:s{sid}": families[sid] for sid in students})
    payload = _payload(lesson, homework)
    items = [
        (r, f"homework-removed:{homework.id}:s{sid}", {**payload, "student_id": sid})
        for sid in students
        for r in told[f"homework:{homework.id}:s{sid}"]
    ]
    await outbox.push_many(session, items, category="homework", kind=PushKind.HOMEWORK_REMOVED)
    return len(items)


async def attachments_of(session: AsyncSession, viewer: Viewer, homework_id: int) -> list[HomeworkAttachment]:
    """A homework's files, for whoever may open its lesson."""
    homework = await session.get(Homework, homework_id)
    if homework is None:
        raise NotFound(N_("This homework is not in the journal (it may have been removed)."))
    await require_lesson_reader(session, viewer, await get_lesson(session, homework.lesson_id))
    return await _attachments(session, homework_id)


async def _attachments(session: AsyncSession, homework_id: int) -> list[HomeworkAttachment]:
    return list(
        await session.scalars(
            select(HomeworkAttachment)
            .where(HomeworkAttachment.homework_id == homework_id)
            .order_by(HomeworkAttachment.id)
        )
    )


async def of_lesson(session: AsyncSession, viewer: Viewer, lesson_id: int) -> list[Homework]:
    """The lesson's homework, for whoever may open the lesson."""
    await require_lesson_reader(session, viewer, await get_lesson(session, lesson_id))
    return list(
        await session.scalars(
            select(Homework).where(Homework.lesson_id == lesson_id, Homework.deleted_at.is_(None)).order_by(Homework.id)
        )
    )
