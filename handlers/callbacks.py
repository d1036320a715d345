"""Typed callback data for every inline button the bot shows.

Every field is checked when a press is unpacked: ids within the database's integer range, dates
within the years a diary can hold, operations from their enum. A forged or stale press that fails
these reaches no handler: the fallback answers it as a button that is no longer active.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import AfterValidator, Field

MAX_ID = 2**31 - 1  # the database's INTEGER
FIRST_DAY = date(2000, 1, 1).toordinal()
LAST_DAY = date(2100, 12, 31).toordinal()


def _day_or_none(value: int) -> int:
    if value != 0 and not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError("not a day of the diary")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
OptionalId = Annotated[int, Field(ge=0, le=MAX_ID)]  # 0: not chosen yet
Day = Annotated[int, Field(ge=FIRST_DAY, le=LAST_DAY)]  # a date as its ordinal
OptionalDay = Annotated[int, AfterValidator(_day_or_none)]
Hour = Annotated[int, Field(ge=0, le=23)]  # an hour of the day, for quiet hours
GradeValue = Annotated[int, Field(ge=0, le=100)]  # 0: not chosen yet; the school's scale is checked in services


class LessonAct(StrEnum):
    OPEN = "open"
    ATTENDANCE = "att"
    GRADES = "grades"
    TOPIC = "topic"
    HOMEWORK = "hw"


class AttOp(StrEnum):
    TOGGLE = "t"
    ALL_PRESENT = "all"
    SAVE = "save"
    CANCEL = "cancel"


class GradeOp(StrEnum):
    PICK_STUDENT = "s"
    PICK_VALUE = "v"
    SAVE = "w"  # the work type is picked, and the grade saved
    SEQUENCE = "seq"
    SKIP = "skip"
    COMMENT = "c"


class GradeEditOp(StrEnum):
    OPEN = "open"
    SET = "set"
    ASK_DELETE = "ask"  # "remove?" with yes and no: a grade is not removed by one slip of the thumb
    DELETE = "del"


class HomeworkOp(StrEnum):
    DUE = "due"
    SET_DUE = "setdue"
    ONE = "one"
    STUDENT = "student"
    EDIT = "edit"
    DELETE = "del"
    DONE = "done"


class ReasonOp(StrEnum):
    SET = "set"
    LESSONS = "lessons"
    NOTE = "note"
    LIST = "list"  # back to the list of absences waiting for a reason


class ReasonValue(StrEnum):
    ILLNESS = "illness"
    EXCUSED = "excused"
    UNEXCUSED = "unexcused"
    NONE = "-"  # opening the day's lessons, no reason yet


class ChildView(StrEnum):
    GRADES = "grades"
    HOMEWORK = "homework"
    SCHEDULE = "schedule"
    ATTENDANCE = "attendance"
    SUMMARY = "summary"


class ScheduleSpan(StrEnum):
    DEFAULT = ""
    TODAY = "today"
    TOMORROW = "tomorrow"
    WEEK = "week"


class SettingsOp(StrEnum):
    TOGGLE = "t"
    QUIET = "q"  # open the quiet hours: pick the start hour
    QUIET_FROM = "qf"  # the start is picked: pick the end hour
    QUIET_TO = "qt"  # both picked: save
    QUIET_OFF = "qo"
    BACK = "b"  # back to the settings
    LANGUAGE = "lang"


class NoteKind(StrEnum):
    NOT_CHOSEN = ""
    ILLNESS = "illness"
    FAMILY = "family"
    OTHER = "other"


class NoteOp(StrEnum):
    CONFIRM = "ok"
    REJECT = "no"


class Locale(StrEnum):
    RU = "ru"
    EN = "en"


class ConsentCb(CallbackData, prefix="consent"):
    accept: bool


class LanguageCb(CallbackData, prefix="lang"):
    locale: Locale


class LinkConfirmCb(CallbackData, prefix="lnk"):
    """Yes or no to a link that replaces someone; the code waits in the conversation, not here."""

    confirm: bool


class LogoutCb(CallbackData, prefix="logout"):
    confirm: bool


class DayCb(CallbackData, prefix="day"):
    """A teacher's day in /today, or the calendar to pick one (opened from that day)."""

    day: Day
    pick: bool = False


class LessonCb(CallbackData, prefix="ls"):
    """An action on a lesson."""

    id: Id
    act: LessonAct


class AttCb(CallbackData, prefix="at"):
    """The attendance sheet: toggle a student, everyone present, save, cancel."""

    lesson: Id
    op: AttOp
    student: OptionalId = 0


class GradeCb(CallbackData, prefix="gr"):
    """Grade entry: pick a student, a value, a work type (saves); the whole class in sequence,
    skip to the next in sequence, add a comment."""

    lesson: Id
    op: GradeOp
    student: OptionalId = 0
    value: GradeValue = 0
    wt: OptionalId = 0
    seq: bool = False
    grade: OptionalId = 0  # the grade a comment is for: the button names it, not "the last one saved"
    ok: bool = False  # the teacher confirmed a grade for a student marked absent


class GradeEditCb(CallbackData, prefix="ge"):
    """A given grade: open, set a new value, delete."""

    grade: Id
    op: GradeEditOp
    value: GradeValue = 0


class HomeworkCb(CallbackData, prefix="hw"):
    """Homework: choose a due date, set it, for one student, pick the student, edit, delete, done."""

    lesson: Id
    op: HomeworkOp
    hw: OptionalId = 0
    day: OptionalDay = 0
    student: OptionalId = 0


class ReasonCb(CallbackData, prefix="rs"):
    """An absence reason for one missed lesson (att) or a student's whole day (student + day)."""

    reason: ReasonValue
    att: OptionalId = 0
    student: OptionalId = 0
    day: OptionalDay = 0
    op: ReasonOp = ReasonOp.SET


class PeriodCb(CallbackData, prefix="pg"):
    """Period grades: pick class, period, subject, student, then value."""

    cls: OptionalId = 0
    period: OptionalId = 0
    subject: OptionalId = 0
    student: OptionalId = 0
    value: Annotated[str, Field(max_length=4)] = ""
    ok: bool = False  # confirmed although far from what the average suggests


class JournalCb(CallbackData, prefix="jr"):
    """The admin's journal: class, subject, the week's Monday as an ordinal."""

    cls: OptionalId = 0
    subject: OptionalId = 0
    week: OptionalDay = 0


class SubstituteCb(CallbackData, prefix="sb"):
    """Substitution: the absent teacher, their lesson, the substitute (0 gives the lesson back);
    day: the first day of the listed lessons (0: today)."""

    teacher: OptionalId = 0
    lesson: OptionalId = 0
    to: Annotated[int, Field(ge=-1, le=MAX_ID)] = -1
    day: OptionalDay = 0


class ChildCb(CallbackData, prefix="ch"):
    """The family's diary: which view of which child."""

    view: ChildView
    student: OptionalId = 0
    span: ScheduleSpan = ScheduleSpan.DEFAULT


class SettingsCb(CallbackData, prefix="st"):
    """Settings: toggle a category, quiet hours from a start hour to an end hour, or the language."""

    op: SettingsOp
    value: Annotated[str, Field(max_length=16)] = ""
    start: Hour = 0
    end: Hour = 0
    on: bool = False  # a category's button sets the state it offers: an old screen's press never flips it back


class ChildMuteCb(CallbackData, prefix="cm"):
    """A parent of several children turns one child's notifications off or on again."""

    student: Id
    mute: bool = True  # what the press does, as its button showed it: an old screen's press never flips it back


class SummarySeenCb(CallbackData, prefix="sn"):
    """The weekly summary's "Seen" button: the outbox row it came from."""

    n: Id


class ExplainCb(CallbackData, prefix="ex"):
    """A family explains a day's absence: the student, the day's ordinal, then the kind of reason."""

    student: Id
    day: Day
    kind: NoteKind = NoteKind.NOT_CHOSEN


class NoteCb(CallbackData, prefix="nt"):
    """The class teacher's decision on a family's note."""

    note: Id
    op: NoteOp
