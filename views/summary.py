"""The weekly summary as text, one renderer for the push and for /summary; and how period grades
read, in the summary and in /grades."""

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from babel.dates import format_date

from locales.i18n import translate
from services.errors import N_
from views.labels import PERIOD_GRADE_KINDS, PERIOD_MARKS, REASON_LABELS
from views.words import Phrase, Voice, pgettext, say

WEEK_OF = Phrase(N_("{student}: the week from {date}"))
YOUR_WEEK = Phrase(N_("Your week from {date}"), pgettext("informal", "Your week from {date}"))


@lru_cache(maxsize=4096)  # a broadcast names the same few days thousands of times; babel is slow
def day_label(value: str | None, locale: str) -> str:
    return format_date(date.fromisoformat(value), "EEE, d MMMM", locale=locale) if value else "—"


def period_mark(period: str, kind: str, value: str, locale: str) -> str:
    """«2 четверть — 5», «Год, экзамен — 4», «1 четверть — зачёт»."""
    t = lambda message, **params: translate(message, locale, **params)  # noqa: E731
    name = (
        t(N_("{period}, {kind}"), period=period, kind=PERIOD_GRADE_KINDS[kind])
        if kind in PERIOD_GRADE_KINDS
        else period
    )
    return f"{name} — {t(PERIOD_MARKS[value]) if value in PERIOD_MARKS else value}"


def period_mark_lines(marks: Iterable[tuple[str, str, str, str]], locale: str) -> list[str]:
    """One line a subject: its marks in the order given. Each mark is (period, subject, kind, value)."""
    by_subject: dict[str, list[str]] = {}
    for period, subject, kind, value in marks:
        by_subject.setdefault(subject, []).append(period_mark(period, kind, value, locale))
    return [f"{subject}: {' · '.join(shown)}" for subject, shown in by_subject.items()]


def summary_text(p: dict[str, Any], student: str, locale: str, voice: Voice = Voice.THIRD) -> str:
    t = lambda message, **params: translate(message, locale, **params)  # noqa: E731
    week = day_label(p["week_start"], locale)
    lines = [
        say(WEEK_OF, locale, student=student, date=week)
        if voice is Voice.THIRD
        else say(YOUR_WEEK, locale, voice, date=week),
    ]
    if p.get("graded", True):  # a first grade takes no grades: the summary has no grades part
        lines += _grades(p, t)
    lines += _rest(p, t, locale)
    return "\n".join(lines)


def _grades(p: dict[str, Any], t: Any) -> list[str]:
    lines = [t(N_("Grades:"))]
    if not p["grades"]:
        lines.append("  " + t(N_("none this week")))
    for subject, values in p["grades"].items():
        period = p["period_avg"].get(subject)
        lines.append(
            "  "
            + t(
                N_("{subject}: {values} (week {week}, period {period})"),
                subject=subject,
                values=" ".join(str(v) for v in values),
                week=float(p["week_avg"][subject]),
                period=float(period) if period is not None else "—",
            )
        )
    return lines


def _rest(p: dict[str, Any], t: Any, locale: str) -> list[str]:
    """The period grades given that week, the absences and the homework ahead."""
    lines = []
    if p.get("period_grades"):  # summaries queued before period grades were told carry none
        lines.append(t(N_("Period grades given this week:")))
        lines += ["  " + line for line in period_mark_lines(p["period_grades"], locale)]
    lines.append(t(N_("Absences:")))
    if not p["absences"]:
        lines.append("  " + t(N_("none")))
    for on, no, subject, mark, reason in p["absences"]:
        lines.append(
            "  "
            + t(
                N_("{date}, lesson {no} ({subject}): {what}, {reason}"),
                date=day_label(on, locale),
                no=no,
                subject=subject,
                # nouns, not «опоздал(а)»: the line reads the same for a boy and a girl
                what=N_("lateness") if mark == "late" else N_("absence"),
                reason=REASON_LABELS[reason] if reason else N_("no reason yet"),
            )
        )
    # Saturday's push looks at next week; a summary asked mid-week at the coming days.
    lines.append(t(N_("Homework for the coming days:") if p.get("homework_from") else N_("Homework for next week:")))
    if not p["homework"]:
        lines.append("  " + t(N_("nothing yet")))
    for due, subject, text in p["homework"]:
        lines.append(f"  {day_label(due, locale)} · {subject}: {text}")
    return lines
