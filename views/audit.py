"""The audit as the administrator reads it: one line an entry, in the school's time and with names,
not the database's numbers (services/audit.py looks them up)."""

from datetime import date, datetime
from typing import Any

from babel.dates import format_time

from locales.i18n import day_in_words, translate
from services.audit import AuditLine, LessonRef, Named, PersonRef
from services.errors import N_
from views.labels import MARK_LABELS, NOTE_KINDS, PERIOD_MARKS, REASON_LABELS

ACTIONS = {
    "grade_created": N_("grade given"),
    "grade_changed": N_("grade changed"),
    "grade_deleted": N_("grade removed"),
    "attendance_marked": N_("attendance marked"),
    "reason_given": N_("absence reason given"),
    "topic_set": N_("lesson topic written"),
    "homework_created": N_("homework given"),
    "homework_changed": N_("homework changed"),
    "homework_deleted": N_("homework removed"),
    "period_grade_set": N_("period grade given"),
    "absence_note_sent": N_("absence explained by the family"),
    "absence_note_confirmed": N_("family's explanation confirmed"),
    "absence_note_rejected": N_("family's explanation rejected"),
    "substitute_set": N_("substitute set"),
    "roster_imported": N_("roster imported"),
    "codes_issued": N_("link codes issued"),
    "codes_revoked": N_("link codes revoked"),
    "linked": N_("Telegram account linked"),
    "logout": N_("signed out"),
    "unlinked_by_new_account": N_("unlinked: the person linked another account"),
    "link_refused": N_("link code refused"),
    "consent_accepted": N_("consent to data processing given"),
    "consent_declined": N_("consent to data processing declined"),
    "work_type_set": N_("kind of work added or renamed"),
    "work_type_disabled": N_("kind of work taken off the list"),
    "work_type_weight": N_("weight of a kind of work changed"),
}
FIELDS = {
    "value": N_("grade"),
    "work_type_id": N_("kind of work"),
    "comment": N_("comment"),
    "student_id": N_("student"),
    "lesson_id": N_("lesson"),
    "mark": N_("mark"),
    "reason": N_("reason"),
    "note": N_("note"),
    "file_id": N_("document"),
    "topic": N_("topic"),
    "text": N_("text"),
    "due_on": N_("due"),
    "attachments": N_("files"),
    "substitute_id": N_("substitute"),
    "period_id": N_("period"),
    "subject_id": N_("subject"),
    "kind": N_("kind"),
    "status": N_("decision"),
    "on_date": N_("day"),
    "person_id": N_("person"),
    "persons": N_("people"),
    "days": N_("days valid"),
    "count": N_("how many"),
    "consent_at": N_("consent"),
    "active": N_("in use"),
    "created": N_("created"),
    "updated": N_("updated"),
    "deactivated": N_("deactivated"),
    "scope": N_("for"),
    "code_id": N_("code"),
    "code": N_("code"),
    "name": N_("name"),
    "weight": N_("weight"),
}
STATUSES = {"confirmed": N_("confirmed"), "rejected": N_("rejected")}
# Codes a value may be, by the field it is in.
CODES = {"mark": MARK_LABELS, "reason": REASON_LABELS, "status": STATUSES, "value": PERIOD_MARKS}
NAMES_SHOWN = 5
TEXT_SHOWN = 60


def render(lines: list[AuditLine], locale: str) -> list[str]:
    """The entries, newest first; each in its school's time, named once at the top (and on each
    line when the database holds schools in several zones)."""
    if not lines:
        return [translate(N_("No entries."), locale)]
    zones = sorted({line.zone for line in lines})
    head = translate(N_("Times are the school's local time ({zones})."), locale, zones=", ".join(zones))
    return [head] + [render_line(line, locale, with_zone=len(zones) > 1) for line in lines]


def render_line(line: AuditLine, locale: str, *, with_zone: bool = False) -> str:
    when = _moment(line.at, locale) + (f" ({line.zone})" if with_zone else "")
    parts = [when, _actor(line, locale), _action(line, locale)]
    about = [person_label(line.student)] if line.student else []
    if line.lesson:
        about.append(lesson_label(line.lesson, locale))
    if about:
        parts.append(" · ".join(about))
    before, after = _values(line, line.before, line.after, locale), _values(line, line.after, line.before, locale)
    if before or after:
        parts.append(f"{before or '—'} → {after or '—'}")
    return " | ".join(parts)


def _moment(at: datetime, locale: str) -> str:
    return f"{day_in_words(at.date(), locale)}, {format_time(at, 'HH:mm:ss', locale=locale)}"


def _actor(line: AuditLine, locale: str) -> str:
    if line.actor is not None:
        return person_label(line.actor)
    if line.actor_telegram_id:
        return translate(N_("Telegram account {id}"), locale, id=line.actor_telegram_id)
    return translate(N_("command line"), locale)


def _action(line: AuditLine, locale: str) -> str:
    label = ACTIONS.get(line.action)
    return translate(label, locale) if label else line.action


def person_label(person: PersonRef) -> str:
    return f"{person.name} ({person.ref})" if person.ref else person.name


def lesson_label(lesson: LessonRef, locale: str) -> str:
    group = " " + translate(N_("(group {group})"), locale, group=lesson.subgroup) if lesson.subgroup else ""
    return translate(
        N_("{class_name}{group}, {subject}, {date}, lesson {no} at {time}"),
        locale,
        class_name=lesson.class_name,
        group=group,
        subject=lesson.subject,
        date=lesson.on_date,
        no=lesson.lesson_no,
        time=f"{lesson.starts_at:%H:%M}",
    )


def _values(line: AuditLine, values: dict[str, Any] | None, other: dict[str, Any] | None, locale: str) -> str:
    """The stored fields, each with its name: of a change, only those that changed; of a creation
    or a removal, those with a value. What the line already says (its student, its lesson) is not
    repeated."""
    if not values:
        return ""
    shown = []
    for key, value in values.items():
        if (key == "student_id" and value == line.student) or (key == "lesson_id" and value == line.lesson):
            continue
        if (other is not None and other.get(key) == value) or (other is None and value in (None, "", [])):
            continue
        label = FIELDS.get(key)
        name = translate(label, locale) if label else key
        shown.append(f"{name}: {_value(key, value, locale)}")
    return "; ".join(shown)


def _value(key: str, value: Any, locale: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, PersonRef):
        return person_label(value)
    if isinstance(value, LessonRef):
        return lesson_label(value, locale)
    if isinstance(value, Named):
        return translate(value.name, locale) if value.catalog else value.name
    if isinstance(value, datetime):
        return _moment(value, locale)
    if isinstance(value, date):
        return day_in_words(value, locale)
    if isinstance(value, bool):
        return translate(N_("yes") if value else N_("no"), locale)
    if isinstance(value, list):
        if key == "attachments":
            return str(len(value))
        names = [_value(key, v, locale) for v in value[:NAMES_SHOWN]]
        more = len(value) - NAMES_SHOWN
        if more > 0:
            names.append(translate(N_("and {count} more"), locale, count=more))
        return ", ".join(names)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "—"
    if isinstance(value, str):
        codes = CODES.get(key)
        if codes and value in codes:
            return translate(codes[value], locale)
        if key == "kind" and value in NOTE_KINDS:
            return translate(NOTE_KINDS[value], locale)
        return f"«{value[:TEXT_SHOWN]}…»" if len(value) > TEXT_SHOWN else f"«{value}»"
    return str(value)
