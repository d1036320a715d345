"""Typed callback data for every inline button the bot shows."""

from aiogram.filters.callback_data import CallbackData


class ConsentCb(CallbackData, prefix="consent"):
    accept: bool


class LanguageCb(CallbackData, prefix="lang"):
    locale: str


class LogoutCb(CallbackData, prefix="logout"):
    confirm: bool


class DayCb(CallbackData, prefix="day"):
    """A teacher's day in /today; the date as its ordinal."""

    day: int


class LessonCb(CallbackData, prefix="ls"):
    """An action on a lesson: open, att, grades, topic, hw."""

    id: int
    act: str


class AttCb(CallbackData, prefix="at"):
    """The attendance sheet: t (toggle a student), all (everyone present), save, cancel."""

    lesson: int
    op: str
    student: int = 0


class GradeCb(CallbackData, prefix="gr"):
    """Grade entry: s (pick student), v (pick value), w (pick work type, saves), seq (whole class),
    skip (next in sequence), c (add comment)."""

    lesson: int
    op: str
    student: int = 0
    value: int = 0
    wt: int = 0
    seq: bool = False


class GradeEditCb(CallbackData, prefix="ge"):
    """A given grade: open, set (new value), del."""

    grade: int
    op: str
    value: int = 0


class HomeworkCb(CallbackData, prefix="hw"):
    """Homework: due (choose a due date), setdue, one (for one student), student, edit, del, done."""

    lesson: int
    op: str
    hw: int = 0
    day: int = 0
    student: int = 0


class ReasonCb(CallbackData, prefix="rs"):
    """An absence reason for one missed lesson (att) or a student's whole day (student + day)."""

    reason: str
    att: int = 0
    student: int = 0
    day: int = 0
    op: str = "set"


class PeriodCb(CallbackData, prefix="pg"):
    """Period grades: pick class, period, subject, student, then value."""

    cls: int = 0
    period: int = 0
    subject: int = 0
    student: int = 0
    value: str = ""


class JournalCb(CallbackData, prefix="jr"):
    """The admin's journal: class, subject, the week's Monday as an ordinal."""

    cls: int = 0
    subject: int = 0
    week: int = 0


class SubstituteCb(CallbackData, prefix="sb"):
    """Substitution: the absent teacher, their lesson, the substitute (0 gives the lesson back)."""

    teacher: int = 0
    lesson: int = 0
    to: int = -1


class ChildCb(CallbackData, prefix="ch"):
    """The family's diary: which view (grades, homework, schedule, attendance, summary) of which child."""

    view: str
    student: int = 0
    span: str = ""


class SettingsCb(CallbackData, prefix="st"):
    """Settings: toggle a category, set quiet hours (a preset), or open the language choice."""

    op: str
    value: str = ""


class SummarySeenCb(CallbackData, prefix="sn"):
    """The weekly summary's "Seen" button: the outbox row it came from."""

    n: int


class ExplainCb(CallbackData, prefix="ex"):
    """A family explains a day's absence: the student, the day's ordinal, then the kind of reason."""

    student: int
    day: int
    kind: str = ""


class NoteCb(CallbackData, prefix="nt"):
    """The class teacher's decision on a family's note: ok or no."""

    note: int
    op: str
