"""SQLAlchemy models of the diary: importing this package registers every table."""

from models.accounts import ChildMute, LinkAttemptWindow, LinkCode, Preference, TelegramAccount
from models.audit import AuditEntry
from models.base import Base
from models.journal import (
    AbsenceNote,
    Attendance,
    Grade,
    Homework,
    HomeworkAttachment,
    Lesson,
    PeriodGrade,
    WorkType,
)
from models.outbox import Notification, SummaryRun
from models.people import Guardianship, Person, RoleGrant, Student, TeachingAssignment
from models.school import AcademicPeriod, School, SchoolClass, Subject, TimetableSlot

__all__ = [
    "AbsenceNote",
    "AcademicPeriod",
    "Attendance",
    "AuditEntry",
    "Base",
    "ChildMute",
    "Grade",
    "Guardianship",
    "Homework",
    "HomeworkAttachment",
    "Lesson",
    "LinkAttemptWindow",
    "LinkCode",
    "Notification",
    "PeriodGrade",
    "Person",
    "Preference",
    "RoleGrant",
    "School",
    "SchoolClass",
    "Student",
    "Subject",
    "SummaryRun",
    "TeachingAssignment",
    "TelegramAccount",
    "TimetableSlot",
    "WorkType",
]
