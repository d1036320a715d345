"""The weekly summary as text, one renderer for the push and for /summary."""

from datetime import date
from functools import lru_cache
from typing import Any

from babel.dates import format_date

from locales.i18n import translate
from services.errors import N_
from views.labels import REASON_LABELS


@lru_cache(maxsize=4096)  # a broadcast names the same few days thousands of times; babel is slow
def day_label(value: str | None, locale: str) -> str:
    return format_date(date.fromisoformat(value), "EEE, d MMMM", locale=locale) if value else "—"


def summary_text(p: dict[str, Any], student: str, locale: str) -> str:
    t = lambda message, **params: translate(message, locale, **params)  # noqa: E731
    lines = [
        t(N_("{student}: the week from {date}"), student=student, date=day_label(p["week_start"], locale)),
        t(N_("Grades:")),
    ]
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
    lines.append(t(N_("Absences:")))
    if not p["absences"]:
        lines.append("  " + t(N_("none")))
    for on, no, subject, _mark, reason in p["absences"]:
        shown = t(REASON_LABELS[reason]) if reason else t(N_("no reason yet"))
        lines.append(f"  {day_label(on, locale)}, {no} {subject}: {shown}")
    lines.append(t(N_("Homework for next week:")))
    if not p["homework"]:
        lines.append("  " + t(N_("nothing yet")))
    for due, subject, text in p["homework"]:
        lines.append(f"  {day_label(due, locale)} · {subject}: {text}")
    return "\n".join(lines)
