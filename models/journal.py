"""The journal itself: dated lessons, attendance, grades, period grades and homework."""

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, UTCDateTime


class WorkType(Base):
    """A kind of graded work (oral answer, test …); each school keeps its own list."""

    __tablename__ = "work_types"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # How many times a grade of this kind counts in an average (a test may count twice).
    weight: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal(1), server_default=text("1"))


class Lesson(CreatedAt, Base):
    """One dated lesson; created from the timetable on demand and then kept stable."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("slot_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("timetable_slots.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    substitute_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    subgroup: Mapped[str | None] = mapped_column(String(16))
    on_date: Mapped[date] = mapped_column(index=True)
    lesson_no: Mapped[int]
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    room: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(Text)
    attendance_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("lesson_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    mark: Mapped[str] = mapped_column(String(16))  # present | absent | late
    marked_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(16))  # excused | unexcused | illness
    reason_note: Mapped[str | None] = mapped_column(Text)
    reason_file_id: Mapped[str | None] = mapped_column(String(255))
    reason_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    reason_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Grade(CreatedAt, Base):
    """A current grade; a deleted one stays as a tombstone (deleted_at) for the audit."""

    __tablename__ = "grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    on_date: Mapped[date]
    value: Mapped[int]
    work_type_id: Mapped[int | None] = mapped_column(ForeignKey("work_types.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    given_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PeriodGrade(CreatedAt, Base):
    __tablename__ = "period_grades"
    __table_args__ = (UniqueConstraint("student_id", "subject_id", "period_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("academic_periods.id"))
    # period: the quarter/half/year mark itself; exam and final are given for a year period.
    kind: Mapped[str] = mapped_column(String(16), default="period", server_default="period")
    value: Mapped[str] = mapped_column(String(16))  # a grade, or a mark such as «зачёт»/«н/а»
    given_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Homework(CreatedAt, Base):
    __tablename__ = "homework"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"))  # individual task
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(index=True)
    given_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HomeworkAttachment(Base):
    """A photo or document kept as its Telegram file id, re-sent from it."""

    __tablename__ = "homework_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    homework_id: Mapped[int] = mapped_column(ForeignKey("homework.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # photo | document
    file_id: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255))


class AbsenceNote(CreatedAt, Base):
    """A family's explanation of a day's absence, waiting for the class teacher's decision."""

    __tablename__ = "absence_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    on_date: Mapped[date]
    author_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(16))  # illness | family | other
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | confirmed | rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
