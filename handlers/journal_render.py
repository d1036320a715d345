"""How journal things read in a message: dates, lessons, marks, reasons."""

from datetime import date

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from locales.i18n import shown
from models import Lesson
from services.journal_views import LessonCard
from views.labels import MARK_LABELS, PERIOD_MARKS, REASON_LABELS  # noqa: F401  (re-exported to handlers)


def day(on: date) -> str:
    return format_date(on, "EEE, d MMMM", locale=get_i18n().current_locale)


def short_day(on: date) -> str:
    return format_date(on, "EEE d.MM", locale=get_i18n().current_locale)


def lesson_title(lesson: Lesson, class_name: str, subject: str) -> str:
    group = " " + _("(group {group})").format(group=lesson.subgroup) if lesson.subgroup else ""
    return f"{lesson.lesson_no}. {lesson.starts_at:%H:%M} {class_name}{group} — {subject}"


def card_status(card: LessonCard) -> str:
    parts = [
        (_("attendance ✓ ({count} absent)").format(count=card.absent) if card.attendance_saved else _("attendance —")),
        _("topic ✓") if card.topic else _("topic —"),
        _("homework ✓") if card.homework else _("homework —"),
    ]
    if card.grading:
        parts.append(_("grades: {count}").format(count=card.grades))
    return " · ".join(parts)


def lesson_ref(no: int, subject: str) -> str:
    """A lesson in a list of absences: «2-й урок (Математика)», not a bare «2 Математика»."""
    return _("lesson {no} ({subject})").format(no=no, subject=subject)


def short_name(last: str, first: str) -> str:
    return f"{last} {first[:1]}."


def period_value(value: str) -> str:
    return _(PERIOD_MARKS[value]) if value in PERIOD_MARKS else value


def average(value: float | None) -> str:
    """An average in the reader's form: 4,25 in Russian, 4.25 in English; a dash when there is none."""
    return "—" if value is None else shown(float(value), get_i18n().current_locale)
