"""The roster after validation: typed rows, each keeping its row number for later messages."""

from dataclasses import dataclass, field
from datetime import date, time


@dataclass
class SchoolRow:
    row: int
    school_id: str
    name: str
    timezone: str
    grade_min: int = 2
    grade_max: int = 5
    edit_window_days: int = 14
    locale: str = "ru"
    summary_weekday: int = 6
    summary_time: time = time(12, 0)
    kind: str = "school"  # or "college": adult students explain their own absences (002)


@dataclass
class StaffRow:
    row: int
    staff_id: str
    school_id: str
    last_name: str
    first_name: str
    middle_name: str | None
    roles: tuple[str, ...]
    active: bool


@dataclass
class ClassRow:
    row: int
    class_id: str
    school_id: str
    name: str
    grade_level: int
    tutor_id: str | None
    grading: bool


@dataclass
class StudentRow:
    row: int
    student_id: str
    class_id: str
    last_name: str
    first_name: str
    middle_name: str | None
    subgroup: str | None
    active: bool
    sex: str | None = None  # "m" or "f"; not given: the patronymic tells, or the words avoid it


@dataclass
class ParentRow:
    row: int
    parent_id: str
    last_name: str
    first_name: str
    middle_name: str | None
    student_ids: tuple[str, ...]
    staff_id: str | None
    active: bool


@dataclass
class SubjectRow:
    row: int
    subject_id: str
    school_id: str
    name: str


@dataclass
class TeachingRow:
    row: int
    class_id: str
    subject_id: str
    staff_id: str
    subgroup: str | None


@dataclass
class SlotRow:
    row: int
    class_id: str
    weekday: int
    lesson_no: int
    starts_at: time
    ends_at: time
    subject_id: str
    staff_id: str
    room: str | None
    subgroup: str | None
    valid_from: date | None
    valid_to: date | None


@dataclass
class PeriodRow:
    row: int
    period_id: str
    school_id: str
    name: str
    kind: str
    starts_on: date
    ends_on: date


@dataclass
class Roster:
    schools: list[SchoolRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)
    classes: list[ClassRow] = field(default_factory=list)
    students: list[StudentRow] = field(default_factory=list)
    parents: list[ParentRow] | None = None  # None: the roster has no parents table
    subjects: list[SubjectRow] = field(default_factory=list)
    teaching: list[TeachingRow] = field(default_factory=list)
    timetable: list[SlotRow] = field(default_factory=list)
    periods: list[PeriodRow] = field(default_factory=list)
