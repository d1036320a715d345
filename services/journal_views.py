"""Read-only views of the journal: a teacher's day, a lesson's card, a tutor's class, the admin's journal."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Attendance,
    Grade,
    Homework,
    Lesson,
    Person,
    School,
    SchoolClass,
    Student,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from services import clock
from services.errors import N_, NotAllowed, NotFound
from services.journal_policy import first_editable_day, has_started, require_lesson_reader
from services.lessons import get_lesson, lessons_of_class, lessons_of_teacher
from services.roles import Role, Viewer


@dataclass
class LessonCard:
    lesson: Lesson
    class_name: str
    subject: str
    attendance_saved: bool
    absent: int
    topic: str | None
    homework: int
    grades: int
    started: bool = True  # attendance and grades are offered only once the lesson has begun
    grading: bool = True  # a first grade's lessons take no grades (003 §2.5)


async def cards(session: AsyncSession, lessons: list[Lesson]) -> list[LessonCard]:
    """What is done for each lesson, in four queries whatever the number of lessons."""
    ids = [lesson.id for lesson in lessons]
    if not ids:
        return []
    classes = {
        class_id: (name, grading)
        for class_id, name, grading in await session.execute(
            select(SchoolClass.id, SchoolClass.name, SchoolClass.grading).where(
                SchoolClass.id.in_({lesson.class_id for lesson in lessons})
            )
        )
    }
    subjects = dict(
        (
            await session.execute(
                select(Subject.id, Subject.name).where(Subject.id.in_({lesson.subject_id for lesson in lessons}))
            )
        ).all()
    )
    absent = dict(
        (
            await session.execute(
                select(Attendance.lesson_id, func.count())
                .where(Attendance.lesson_id.in_(ids), Attendance.mark == "absent")
                .group_by(Attendance.lesson_id)
            )
        ).all()
    )
    homework = dict(
        (
            await session.execute(
                select(Homework.lesson_id, func.count())
                .where(Homework.lesson_id.in_(ids), Homework.deleted_at.is_(None))
                .group_by(Homework.lesson_id)
            )
        ).all()
    )
    grades = dict(
        (
            await session.execute(
                select(Grade.lesson_id, func.count())
                .where(Grade.lesson_id.in_(ids), Grade.deleted_at.is_(None))
                .group_by(Grade.lesson_id)
            )
        ).all()
    )
    return [
        LessonCard(
            lesson,
            classes[lesson.class_id][0],
            subjects[lesson.subject_id],
            lesson.attendance_saved_at is not None,
            absent.get(lesson.id, 0),
            lesson.topic,
            homework.get(lesson.id, 0),
            grades.get(lesson.id, 0),
            grading=classes[lesson.class_id][1],
        )
        for lesson in lessons
    ]


@dataclass
class TeachingDays:
    """What a teacher's day navigation needs: the weekdays they teach and the edit window."""

    today: date
    first_editable: date
    window: int
    weekdays: set[int]


# A teacher with no timetable of their own (a substitute only) still steps through a school week.
SCHOOL_WEEK = {1, 2, 3, 4, 5, 6}


async def teaching_days(session: AsyncSession, viewer: Viewer) -> TeachingDays:
    person = viewer.require_any(Role.TEACHER)
    assert viewer.school is not None
    weekdays = set(
        await session.scalars(
            select(TimetableSlot.weekday).where(TimetableSlot.teacher_id == person.id, TimetableSlot.active.is_(True))
        )
    )
    return TeachingDays(
        today=clock.school_today(viewer.school),
        first_editable=first_editable_day(viewer.school),
        window=viewer.school.edit_window_days,
        weekdays=weekdays or SCHOOL_WEEK,
    )


def _mark_started(school: School | None, found: list[LessonCard]) -> list[LessonCard]:
    for card in found:
        card.started = school is None or has_started(school, card.lesson)
    return found


async def teacher_day(session: AsyncSession, viewer: Viewer, on: date) -> list[LessonCard]:
    person = viewer.require_any(Role.TEACHER)
    return _mark_started(viewer.school, await cards(session, await lessons_of_teacher(session, person, on)))


async def lesson_card(session: AsyncSession, viewer: Viewer, lesson_id: int) -> LessonCard:
    lesson = await get_lesson(session, lesson_id)
    await require_lesson_reader(session, viewer, lesson)
    return _mark_started(viewer.school, await cards(session, [lesson]))[0]


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.isoweekday() - 1)
    return monday, monday + timedelta(days=6)


@dataclass
class ClassOverview:
    school_class: SchoolClass
    today: date
    absent_today: list[tuple[str, list[tuple[int, str, str | None]]]]  # name, [(lesson_no, subject, reason)]
    week_absences: int
    week_unexplained: int
    grades_by_subject: dict[str, list[tuple[str, int]]]  # subject -> [(student, value)]
    missing: list["MissingLesson"]
    # Today's lessons that have begun without their roll call saved: "nobody absent" is not known yet.
    unmarked_today: list[tuple[int, str]] = field(default_factory=list)  # (lesson_no, subject)


@dataclass(frozen=True)
class MissingLesson:
    """A lesson of the week that has begun and still lacks its topic or homework."""

    on_date: date
    lesson_no: int
    subject: str
    subgroup: str | None  # a class split in groups has one such lesson per group
    teacher: str  # who fills its journal: the substitute, else its own teacher ("Соколова Е. В.")
    no_topic: bool
    no_homework: bool


async def class_overview(session: AsyncSession, viewer: Viewer, school_class: SchoolClass) -> ClassOverview:
    """The tutor's class today and this week (the class must come from absences.tutor_class)."""
    school = await session.get(School, school_class.school_id)
    assert school is not None
    today = clock.school_today(school)
    monday, sunday = week_of(today)
    for offset in range((today - monday).days + 1):
        await lessons_of_class(session, school_class, monday + timedelta(days=offset))
    rows = await session.execute(
        select(Lesson, Attendance, Subject.name, Person)
        .join(Attendance, Attendance.lesson_id == Lesson.id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .join(Student, Student.id == Attendance.student_id)
        .join(Person, Person.id == Student.person_id)
        .where(
            Lesson.class_id == school_class.id,
            Lesson.on_date >= monday,
            Lesson.on_date <= today,
            Attendance.mark == "absent",
        )
        .order_by(Person.last_name, Person.first_name, Lesson.starts_at)
    )
    today_by_student: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    week_absences = unexplained = 0
    for lesson, attendance, subject, person in rows:
        week_absences += 1
        unexplained += attendance.reason is None
        if lesson.on_date == today:
            today_by_student[person.full_name].append((lesson.lesson_no, subject, attendance.reason))
    grade_rows = await session.execute(
        select(Subject.name, Person.last_name, Person.first_name, Grade.value)
        .join(Subject, Subject.id == Grade.subject_id)
        .join(Student, Student.id == Grade.student_id)
        .join(Person, Person.id == Student.person_id)
        .where(
            Student.class_id == school_class.id,
            Grade.deleted_at.is_(None),
            Grade.on_date >= monday,
            Grade.on_date <= sunday,
        )
        .order_by(Subject.name, Person.last_name, Grade.on_date)
    )
    by_subject: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for subject, last, first, value in grade_rows:
        by_subject[subject].append((f"{last} {first[:1]}.", value))
    now = clock.school_now(school).replace(tzinfo=None)
    missing = await _missing_content(session, school_class, monday, now)
    unmarked = await session.execute(
        select(Lesson.lesson_no, Subject.name)
        .join(Subject, Subject.id == Lesson.subject_id)
        .where(
            Lesson.class_id == school_class.id,
            Lesson.on_date == today,
            Lesson.starts_at <= now.time(),
            Lesson.attendance_saved_at.is_(None),
        )
        .order_by(Lesson.starts_at, Lesson.lesson_no)
    )
    return ClassOverview(
        school_class,
        today,
        list(today_by_student.items()),
        week_absences,
        unexplained,
        dict(by_subject),
        missing,
        [(no, subject) for no, subject in unmarked],
    )


async def _missing_content(
    session: AsyncSession, school_class: SchoolClass, monday: date, now: datetime
) -> list[MissingLesson]:
    """The week's lessons up to now (school time) without topic or homework: a lesson that has not
    begun lacks nothing yet."""
    responsible = func.coalesce(Lesson.substitute_id, Lesson.teacher_id)
    rows = await session.execute(
        select(Lesson, Subject.name, Person)
        .join(Subject, Subject.id == Lesson.subject_id)
        .join(Person, Person.id == responsible)
        .where(Lesson.class_id == school_class.id, Lesson.on_date >= monday, Lesson.on_date <= now.date())
        .order_by(Lesson.on_date, Lesson.starts_at, Lesson.lesson_no, Lesson.subgroup)
    )
    begun = [
        (lesson, subject, teacher)
        for lesson, subject, teacher in rows
        if datetime.combine(lesson.on_date, lesson.starts_at) <= now
    ]
    with_homework = set(
        await session.scalars(
            select(Homework.lesson_id).where(
                Homework.lesson_id.in_([lesson.id for lesson, _s, _t in begun]), Homework.deleted_at.is_(None)
            )
        )
    )
    return [
        MissingLesson(
            lesson.on_date,
            lesson.lesson_no,
            subject,
            lesson.subgroup,
            _initials(teacher),
            not lesson.topic,
            lesson.id not in with_homework,
        )
        for lesson, subject, teacher in begun
        if not lesson.topic or lesson.id not in with_homework
    ]


def _initials(person: Person) -> str:
    initials = "".join(f" {part[:1]}." for part in (person.first_name, person.middle_name) if part)
    return person.last_name + initials


@dataclass
class JournalPage:
    school_class: SchoolClass
    subject: Subject
    lessons: list[Lesson] = field(default_factory=list)
    absent: dict[int, list[str]] = field(default_factory=dict)  # lesson -> names
    grades: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # lesson -> (name, value)


async def journal_page(
    session: AsyncSession, viewer: Viewer, class_id: int, subject_id: int, date_from: date, date_to: date
) -> JournalPage:
    """A class's journal of one subject over dates: admins read any (000 §2.10); the tutor their class;
    a teacher their own subject there."""
    person = viewer.require_linked()
    school_class = await session.get(SchoolClass, class_id)
    subject = await session.get(Subject, subject_id)
    if (
        school_class is None
        or subject is None
        or school_class.school_id != person.school_id
        or subject.school_id != person.school_id
    ):
        raise NotFound(N_("There is no such class or subject."))
    allowed = Role.ADMIN in viewer.roles or class_id in viewer.tutor_class_ids
    if not allowed and Role.TEACHER in viewer.roles:
        allowed = (
            await session.scalar(
                select(TeachingAssignment.id).where(
                    TeachingAssignment.class_id == class_id,
                    TeachingAssignment.subject_id == subject_id,
                    TeachingAssignment.teacher_id == person.id,
                )
            )
            is not None
        )
    if not allowed:
        raise NotAllowed(N_("You can read the journal of your own classes and subjects only."))
    if date_to < date_from or (date_to - date_from).days > 62:
        raise NotAllowed(N_("Choose a range of at most two months."))
    page = JournalPage(school_class, subject)
    # Lessons are made from the timetable when first seen: a day nobody opened still has its lessons.
    on = date_from
    while on <= date_to:
        await lessons_of_class(session, school_class, on)
        on += timedelta(days=1)
    page.lessons = list(
        await session.scalars(
            select(Lesson)
            .where(
                Lesson.class_id == class_id,
                Lesson.subject_id == subject_id,
                Lesson.on_date >= date_from,
                Lesson.on_date <= date_to,
            )
            .order_by(Lesson.on_date, Lesson.starts_at)
        )
    )
    ids = [lesson.id for lesson in page.lessons]
    for lesson_id, last, first in await session.execute(
        select(Attendance.lesson_id, Person.last_name, Person.first_name)
        .join(Student, Student.id == Attendance.student_id)
        .join(Person, Person.id == Student.person_id)
        .where(Attendance.lesson_id.in_(ids), Attendance.mark == "absent")
        .order_by(Person.last_name)
    ):
        page.absent.setdefault(lesson_id, []).append(f"{last} {first[:1]}.")
    for graded_lesson_id, last, first, value in await session.execute(
        select(Grade.lesson_id, Person.last_name, Person.first_name, Grade.value)
        .join(Student, Student.id == Grade.student_id)
        .join(Person, Person.id == Student.person_id)
        .where(Grade.lesson_id.in_(ids), Grade.deleted_at.is_(None))
        .order_by(Person.last_name, Grade.id)
    ):
        assert graded_lesson_id is not None  # IN matches no NULL
        page.grades.setdefault(graded_lesson_id, []).append((f"{last} {first[:1]}.", value))
    return page


async def readable_classes(session: AsyncSession, viewer: Viewer) -> list[SchoolClass]:
    """Every class of the school for an admin; their own class for a tutor."""
    person = viewer.require_any(Role.ADMIN, Role.TUTOR)
    query = select(SchoolClass).where(SchoolClass.school_id == person.school_id)
    if Role.ADMIN not in viewer.roles:
        query = query.where(SchoolClass.id.in_(viewer.tutor_class_ids))
    return list(await session.scalars(query.order_by(SchoolClass.grade_level, SchoolClass.name)))


async def class_subjects(session: AsyncSession, viewer: Viewer, class_id: int) -> list[Subject]:
    """The subjects of a class whose journal this person reads: an admin's school, a tutor's own class."""
    if class_id not in {c.id for c in await readable_classes(session, viewer)}:
        raise NotAllowed(N_("You can read the journal of your own classes and subjects only."))
    return list(
        await session.scalars(
            select(Subject)
            .join(TeachingAssignment, TeachingAssignment.subject_id == Subject.id)
            .where(TeachingAssignment.class_id == class_id)
            .distinct()
            .order_by(Subject.name)
        )
    )
