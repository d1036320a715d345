"""Push texts, rendered at send time in the recipient's language from the outbox payloads."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import translate
from handlers.callbacks import ExplainCb, NoteCb, SummarySeenCb
from handlers.journal_render import REASON_LABELS
from handlers.summary_text import day_label, summary_text
from services.delivery_queue import Delivery, Push
from services.errors import N_
from services.push_content import PushContext

MARKS = {"absent": N_("absent"), "late": N_("late")}
PERIOD_MARKS = {"pass": N_("pass"), "na": N_("not certified")}
NOTE_KINDS = {"illness": N_("illness"), "family": N_("family reasons"), "other": N_("other")}
GRADE_MESSAGES = {
    "grade_created": N_("{student}: a new grade {value} in {subject}{work}, {date}."),
    "grade_changed": N_("{student}: the grade in {subject}{work} of {date} is changed to {value}."),
    "grade_removed": N_("{student}: the grade {value} in {subject}{work} of {date} is removed."),
}


@dataclass
class Outgoing:
    text: str
    protect: bool
    files: list[tuple[str, str]] = field(default_factory=list)  # (photo | document, file id)
    markup: InlineKeyboardMarkup | None = None


def average_line(p: dict[str, Any], ctx: PushContext, t: Any) -> str:
    found = ctx.averages.get((int(p["student_id"]), int(p["subject_id"])))
    if found is None:
        return ""
    return "\n" + t(
        N_("Average in {subject} for {period}: {average}."),
        subject=ctx.subjects.get(int(p["subject_id"]), ""),
        period=found[0],
        average=f"{found[1]:.2f}",
    )


def render_one(push: Push, ctx: PushContext, locale: str) -> tuple[str, list[tuple[str, str]]]:
    p: dict[str, Any] = push.payload
    t = lambda message, **params: translate(message, locale, **params)  # noqa: E731
    student = ctx.students.get(p.get("student_id") or 0, "")
    subject = ctx.subjects.get(p.get("subject_id") or 0, "")
    on = day_label(p.get("on_date"), locale)
    kind = push.kind
    work = f" ({t(p['work_type'])})" if p.get("work_type") else ""
    if kind in GRADE_MESSAGES:
        text = t(GRADE_MESSAGES[kind], student=student, value=p["value"], subject=subject, work=work, date=on)
        if kind == "grade_created" and p.get("comment"):
            text += "\n" + t(N_("Teacher's comment: {comment}"), comment=p["comment"])
        return text + average_line(p, ctx, t), []
    if kind == "absence_marked":
        message = (
            N_("{student} was late for lesson {no} ({subject}), {date}.")
            if p.get("mark") == "late"
            else N_("{student} was absent from lesson {no} ({subject}), {date}.")
        )
        return t(message, student=student, no=p.get("lesson_no"), subject=subject, date=on), []
    if kind == "absence_withdrawn":
        return t(
            N_("{student}: the absence from lesson {no} ({subject}), {date}, is withdrawn."),
            student=student,
            no=p.get("lesson_no"),
            subject=subject,
            date=on,
        ), []
    if kind == "reason_given":
        return t(
            N_("{student}: the absence of {date} is recorded as: {reason}."),
            student=student,
            date=on,
            reason=t(REASON_LABELS.get(p.get("reason", ""), p.get("reason", ""))),
        ), []
    if kind in ("homework_created", "homework_changed"):
        homework = ctx.homework.get(p.get("homework_id") or 0)
        if homework is None or homework.deleted_at is not None:
            return "", []
        message = (
            N_("{student}: homework in {subject}, due {due}:\n{text}")
            if kind == "homework_created"
            else N_("{student}: the homework in {subject}, due {due}, is changed:\n{text}")
        )
        files = [(a.kind, a.file_id) for a in ctx.attachments.get(homework.id, [])]
        return t(
            message, student=student, subject=subject, due=day_label(p.get("due_on"), locale), text=homework.text
        ), files
    if kind == "period_grade":
        value = str(p["value"])
        shown = t(PERIOD_MARKS[value]) if value in PERIOD_MARKS else value
        return t(
            N_("{student}: the grade for {period} in {subject}: {value}."),
            student=student,
            period=ctx.periods.get(p.get("period_id") or 0, ""),
            subject=subject,
            value=shown,
        ), []
    if kind == "absence_note":
        shown = t(NOTE_KINDS.get(p.get("note_kind", ""), N_("other")))
        text = t(N_("{student}'s family explains the absence of {date}: {kind}."), student=student, date=on, kind=shown)
        if p.get("text"):
            text += "\n" + p["text"]
        return text, [("photo", p["file_id"])] if p.get("file_id") else []
    if kind == "absence_note_decided":
        if p.get("status") == "confirmed":
            return t(
                N_("{student}: the class teacher accepted the explanation of {date}."), student=student, date=on
            ), []
        text = t(N_("{student}: the class teacher did not accept the explanation of {date}."), student=student, date=on)
        return text + (("\n" + t(N_("Comment: {comment}"), comment=p["comment"])) if p.get("comment") else ""), []
    if kind == "reminder_attendance":
        return t(
            N_(
                "Attendance is not marked for lesson {no} in {cls} ({subject}) today. Absences are entered on "
                "the day of the lesson (000 §2.5): /today"
            ),
            no=p["lesson_no"],
            cls=p["class"],
            subject=p["subject"],
        ), []
    if kind == "reminder_content":
        missing = ", ".join(
            t(w) for w, done in ((N_("topic"), p["topic"]), (N_("homework"), p["homework"])) if not done
        )
        return t(
            N_(
                "Lesson {no} in {cls} ({subject}) has no {missing} yet; they are entered within 1.5 hours "
                "of the lesson (000 §2.8): /today"
            ),
            no=p["lesson_no"],
            cls=p["class"],
            subject=p["subject"],
            missing=missing,
        ), []
    if kind == "reminder_reasons":
        return t(
            N_("{cls}: {count} absence(s) without a reason, {overdue} past 2 working days (000 §2.9): /absences"),
            cls=p["class"],
            count=p["count"],
            overdue=p["overdue"],
        ), []
    if kind == "reminder_week_check":
        return t(N_("{cls}: time for the weekly attendance check (002 §5.1): /class"), cls=p["class"]), []
    if kind == "alert_unexcused":
        return t(
            N_("{student} ({cls}) has {count} unexcused absences in {period}."),
            student=p["student"],
            cls=p["class"],
            count=p["count"],
            period=p["period"],
        ), []
    if kind == "alert_average":
        return t(
            N_("{student} ({cls}) has an average of {average} in {subject} in {period}."),
            student=p["student"],
            cls=p["class"],
            average=p["average"],
            subject=p["subject"],
            period=p["period"],
        ), []
    if kind == "weekly_summary":
        return summary_text(p, student, locale), []
    return "", []


def render(delivery: Delivery, ctx: PushContext) -> Outgoing:
    """One message for everything due to this chat now (a catch-up after quiet hours, several grades)."""
    texts: list[str] = []
    files: list[tuple[str, str]] = []
    for push in delivery.pushes:
        text, attached = render_one(push, ctx, delivery.locale)
        if text:
            texts.append(text)
            files += attached
    markup = None
    buttons = []
    for push in delivery.pushes:
        p = push.payload
        own = delivery.explains_own_absences
        if push.kind == "absence_marked" and p.get("mark") == "absent" and own:
            day = date.fromisoformat(p["on_date"]).toordinal()
            data = ExplainCb(student=p["student_id"], day=day).pack()
            if all(b.callback_data != data for b in buttons):
                buttons.append(
                    InlineKeyboardButton(text=translate(N_("Explain the absence"), delivery.locale), callback_data=data)
                )
        if push.kind == "absence_note":
            buttons += [
                InlineKeyboardButton(
                    text="✅ " + translate(N_("Confirm"), delivery.locale),
                    callback_data=NoteCb(note=p["note_id"], op="ok").pack(),
                ),
                InlineKeyboardButton(
                    text="✖ " + translate(N_("Reject"), delivery.locale),
                    callback_data=NoteCb(note=p["note_id"], op="no").pack(),
                ),
            ]
    if buttons:
        markup = InlineKeyboardMarkup(inline_keyboard=[[b] for b in buttons[:6]])
    if len(delivery.pushes) == 1 and delivery.pushes[0].kind == "weekly_summary":
        label = translate(N_("Seen"), delivery.locale)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="👁 " + label, callback_data=SummarySeenCb(n=delivery.pushes[0].id).pack())]
            ]
        )
    # Every push carries a child's diary data or a family's note: none of it may be forwarded or saved.
    return Outgoing("\n\n".join(texts)[:4096], True, files, markup)
