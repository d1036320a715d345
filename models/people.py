"""People and their relations: roles, students in classes, guardians, who teaches what."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, CreatedAt, UTCDateTime


class Person(CreatedAt, Base):
    """Anyone the roster names; one person may be staff, parent and more at once."""

    __tablename__ = "persons"
    __table_args__ = (
        UniqueConstraint("school_id", "staff_ref"),
        UniqueConstraint("school_id", "student_ref"),
        UniqueConstraint("school_id", "parent_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    last_name: Mapped[str] = mapped_column(String(128))
    first_name: Mapped[str] = mapped_column(String(128))
    middle_name: Mapped[str | None] = mapped_column(String(128))
    # The roster's own ids; one person can carry a staff id and a parent id.
    staff_ref: Mapped[str | None] = mapped_column(String(64))
    student_ref: Mapped[str | None] = mapped_column(String(64))
    parent_ref: Mapped[str | None] = mapped_column(String(64))
    # "m" or "f" when the roster says; None: guess from the patronymic, else neutral wording.
    sex: Mapped[str | None] = mapped_column(String(1))
    active: Mapped[bool] = mapped_column(default=True)
    # Consent to the processing of personal data (152-FZ; 004 §3.8).
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        """Как в школе обращаются к человеку: имя и отчество, либо просто имя."""
        return " ".join(p for p in (self.first_name, self.middle_name) if p)


class RoleGrant(Base):
    """A staff role (admin or teacher) in a school; tutor, student and parent follow from relations."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # admin | teacher
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))


class Student(Base):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), unique=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id"), index=True)
    subgroup: Mapped[str | None] = mapped_column(String(16))


class Guardianship(Base):
    __tablename__ = "guardianships"
    __table_args__ = (UniqueConstraint("parent_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(default=True)


class TeachingAssignment(Base):
    __tablename__ = "teaching_assignments"
    __table_args__ = (UniqueConstraint("class_id", "subject_id", "teacher_id", "subgroup"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_classes.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    subgroup: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
