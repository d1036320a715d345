"""The school and its structure: classes, subjects, academic periods and the timetable."""

from datetime import date, time

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt


class School(CreatedAt, Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    grade_min: Mapped[int] = mapped_column(default=2)
    grade_max: Mapped[int] = mapped_column(default=5)
    edit_window_days: Mapped[int] = mapped_column(default=14)
    locale: Mapped[str] = mapped_column(String(8), default="ru")
    summary_weekday: Mapped[int] = mapped_column(default=6)
    summary_time: Mapped[time] = mapped_column(default=time(12, 0))
    # "school" or "college" (002): in a college an adult student explains his own absences.
    kind: Mapped[str] = mapped_column(String(16), default="school", server_default="school")


class AcademicPeriod(Base):
    __tablename__ = "academic_periods"
    __table_args__ = (UniqueConstraint("school_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # quarter | half | year
    starts_on: Mapped[date]
    ends_on: Mapped[date]


class Subject(Base):
    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("school_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))


class SchoolClass(Base):
    __tablename__ = "school_classes"
    __table_args__ = (UniqueConstraint("school_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(32))
    grade_level: Mapped[int]
    grading: Mapped[bool] = mapped_column(default=True)
    tutor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)


class TimetableSlot(Base):
    """One recurring lesson of a class; kept (inactive) when a later roster drops it."""

    __tablename__ = "timetable_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 1 = Monday … 7 = Sunday
    lesson_no: Mapped[int]
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    room: Mapped[str | None] = mapped_column(String(32))
    subgroup: Mapped[str | None] = mapped_column(String(16))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
