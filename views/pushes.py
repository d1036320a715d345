"""Push texts, rendered at send time in the recipient's language from the outbox payloads.

One small renderer a kind (RENDERERS); `render` joins everything due to one chat into one message
with its buttons.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from locales.i18n import translate
from services.delivery_queue import Delivery, Push
from services.errors import N_
from services.push_content import PushContext
from services.push_kinds import PushKind
from views.labels import NOTE_KINDS, PERIOD_GRADE_KINDS, PERIOD_MARKS, REASON_LABELS
from views.message import Button, DecideNote, ExplainAbsence, File, Message, SummarySeen
from views.summary import day_label, summary_text
from views.words import Phrase, Voice, pgettext, say, voice_for


@dataclass(frozen=True)
class Wording:
    """A family push's text: about the student to his parents, and to the student himself."""

    about: Phrase
    to_you: Phrase


GRADE_MESSAGES = {
    PushKind.GRADE_CREATED: Wording(
        Phrase(N_("{student}: a new grade {value} in {subject}{work}, {date}.")),
        Phrase(
            N_("You got {value} in {subject}{work}, {date}."),
            pgettext("informal", "You got {value} in {subject}{work}, {date}."),
        ),
    ),
    PushKind.GRADE_CHANGED: Wording(
        Phrase(N_("{student}: the grade in {subject}{work} of {date} is changed to {value}.")),
        Phrase(
            N_("Your grade in {subject}{work} of {date} is changed to {value}."),
            pgettext("informal", "Your grade in {subject}{work} of {date} is changed to {value}."),
        ),
    ),
    PushKind.GRADE_REMOVED: Wording(
        Phrase(N_("{student}: the grade {value} in {subject}{work} of {date} is removed.")),
        Phrase(
            N_("Your grade {value} in {subject}{work} of {date} is removed."),
            pgettext("informal", "Your grade {value} in {subject}{work} of {date} is removed."),
        ),
    ),
}
ABSENT = Wording(
    Phrase(
        N_("{student} was absent from lesson {no} ({subject}), {date}."),
        pgettext("male", "{student} was absent from lesson {no} ({subject}), {date}."),
        pgettext("female", "{student} was absent from lesson {no} ({subject}), {date}."),
    ),
    Phrase(
        N_("You were absent from lesson {no} ({subject}), {date}."),
        pgettext("informal", "You were absent from lesson {no} ({subject}), {date}."),
        pgettext("informal male", "You were absent from lesson {no} ({subject}), {date}."),
        pgettext("informal female", "You were absent from lesson {no} ({subject}), {date}."),
    ),
)
LATE = Wording(
    Phrase(
        N_("{student} was late for lesson {no} ({subject}), {date}."),
        pgettext("male", "{student} was late for lesson {no} ({subject}), {date}."),
        pgettext("female", "{student} was late for lesson {no} ({subject}), {date}."),
    ),
    Phrase(
        N_("You were late for lesson {no} ({subject}), {date}."),
        pgettext("informal", "You were late for lesson {no} ({subject}), {date}."),
        pgettext("informal male", "You were late for lesson {no} ({subject}), {date}."),
        pgettext("informal female", "You were late for lesson {no} ({subject}), {date}."),
    ),
)
WITHDRAWN = Wording(
    Phrase(N_("{student}: the absence from lesson {no} ({subject}), {date}, is withdrawn.")),
    Phrase(
        N_("Your absence from lesson {no} ({subject}), {date}, is withdrawn."),
        pgettext("informal", "Your absence from lesson {no} ({subject}), {date}, is withdrawn."),
    ),
)
REASON = Wording(
    Phrase(N_("{student}: the absence of {date} is recorded as: {reason}.")),
    Phrase(
        N_("Your absence of {date} is recorded as: {reason}."),
        pgettext("informal", "Your absence of {date} is recorded as: {reason}."),
    ),
)
HOMEWORK_MESSAGES = {
    PushKind.HOMEWORK_CREATED: Wording(
        Phrase(N_("{student}: homework in {subject}, due {due}:\n{text}")),
        Phrase(N_("Homework in {subject}, due {due}:\n{text}")),
    ),
    PushKind.HOMEWORK_CHANGED: Wording(
        Phrase(N_("{student}: the homework in {subject}, due {due}, is changed:\n{text}")),
        Phrase(N_("The homework in {subject}, due {due}, is changed:\n{text}")),
    ),
}
HOMEWORK_REMOVED = Wording(
    Phrase(N_("{student}: the homework in {subject}, due {due}, is withdrawn by the teacher:\n{text}")),
    Phrase(N_("The homework in {subject}, due {due}, is withdrawn by the teacher:\n{text}")),
)
PERIOD_GRADE = Wording(
    Phrase(N_("{student}: the grade for {period} in {subject}: {value}.")),
    Phrase(
        N_("Your grade for {period} in {subject}: {value}."),
        pgettext("informal", "Your grade for {period} in {subject}: {value}."),
    ),
)
NOTE_ACCEPTED = Wording(
    Phrase(N_("{student}: the class teacher accepted the explanation of {date}.")),
    Phrase(
        N_("The class teacher accepted your explanation of the absence of {date}."),
        pgettext("informal", "The class teacher accepted your explanation of the absence of {date}."),
    ),
)
NOTE_REJECTED = Wording(
    Phrase(N_("{student}: the class teacher did not accept the explanation of {date}.")),
    Phrase(
        N_("The class teacher did not accept your explanation of the absence of {date}."),
        pgettext("informal", "The class teacher did not accept your explanation of the absence of {date}."),
    ),
)
MAX_BUTTONS = 6


@dataclass(frozen=True)
class Reader:
    """Who reads the push: a student reads pushes about himself in the second person."""

    own_student_id: int | None = None
    college: bool = False


@dataclass
class Rendering:
    """What a renderer has at hand: the payload, the names it refers to, the reader's language and
    who the reader is."""

    push: Push
    ctx: PushContext
    locale: str
    reader: Reader = Reader()

    @property
    def p(self) -> dict[str, Any]:
        return self.push.payload

    def t(self, message: str, **params: Any) -> str:
        return translate(message, self.locale, **params)

    @property
    def voice(self) -> Voice:
        own = self.reader.own_student_id is not None and self.p.get("student_id") == self.reader.own_student_id
        return voice_for(own=own, college=self.reader.college)

    def say(self, wording: Wording, **params: Any) -> str:
        """The wording for this reader: about the student by name, or to the student himself."""
        voice = self.voice
        phrase = wording.about if voice is Voice.THIRD else wording.to_you
        sex = self.ctx.sexes.get(self.p.get("student_id") or 0)
        return say(phrase, self.locale, voice, sex, student=self.student, **params)

    @property
    def student(self) -> str:
        return self.ctx.students.get(self.p.get("student_id") or 0, "")

    @property
    def subject(self) -> str:
        return self.ctx.subjects.get(self.p.get("subject_id") or 0, "")

    @property
    def on(self) -> str:
        return day_label(self.p.get("on_date"), self.locale)


Text = tuple[str, list[File]]


def _average_line(r: Rendering) -> str:
    found = r.ctx.averages.get((int(r.p["student_id"]), int(r.p["subject_id"])))
    if found is None:
        return ""
    return "\n" + r.t(
        N_("Average in {subject} for {period}: {average}."),
        subject=r.subject,
        period=found[0],
        average=float(found[1]),
    )


def _grade(r: Rendering) -> Text:
    work = f" ({r.t(r.p['work_type'])})" if r.p.get("work_type") else ""
    kind = PushKind(r.push.kind)
    text = r.say(GRADE_MESSAGES[kind], value=r.p["value"], subject=r.subject, work=work, date=r.on)
    if kind == PushKind.GRADE_CREATED and r.p.get("comment"):
        text += "\n" + r.t(N_("Teacher's comment: {comment}"), comment=r.p["comment"])
    return text + _average_line(r), []


def _absence_marked(r: Rendering) -> Text:
    wording = LATE if r.p.get("mark") == "late" else ABSENT
    return r.say(wording, no=r.p.get("lesson_no"), subject=r.subject, date=r.on), []


def _absence_withdrawn(r: Rendering) -> Text:
    return r.say(WITHDRAWN, no=r.p.get("lesson_no"), subject=r.subject, date=r.on), []


def _reason_given(r: Rendering) -> Text:
    reason = r.p.get("reason", "")
    shown = r.t(REASON_LABELS[reason]) if reason in REASON_LABELS else reason
    return r.say(REASON, date=r.on, reason=shown), []


def _homework(r: Rendering) -> Text:
    homework = r.ctx.homework.get(r.p.get("homework_id") or 0)
    if homework is None or homework.deleted_at is not None:
        return "", []
    wording = HOMEWORK_MESSAGES[PushKind(r.push.kind)]
    files = [File(a.kind, a.file_id) for a in r.ctx.attachments.get(homework.id, [])]
    due = day_label(r.p.get("due_on"), r.locale)
    return r.say(wording, subject=r.subject, due=due, text=homework.text), files


def _homework_removed(r: Rendering) -> Text:
    """The removed homework named as the family had it, so they know which task to cross out."""
    homework = r.ctx.homework.get(r.p.get("homework_id") or 0)
    if homework is None:
        return "", []
    due = day_label(r.p.get("due_on"), r.locale)
    return r.say(HOMEWORK_REMOVED, subject=r.subject, due=due, text=homework.text), []


def _period_grade(r: Rendering) -> Text:
    value = str(r.p["value"])
    period = r.ctx.periods.get(r.p.get("period_id") or 0, "")
    kind = r.p.get("kind")
    if kind in PERIOD_GRADE_KINDS:  # the year's exam or final grade
        period = r.t(N_("{period}, {kind}"), period=period, kind=PERIOD_GRADE_KINDS[kind])
    return r.say(
        PERIOD_GRADE,
        period=period,
        subject=r.subject,
        value=r.t(PERIOD_MARKS[value]) if value in PERIOD_MARKS else value,
    ), []


def _absence_note(r: Rendering) -> Text:
    kind = r.t(NOTE_KINDS.get(r.p.get("note_kind", ""), N_("other")))
    text = r.t(
        N_("{student}'s family explains the absence of {date}: {kind}."), student=r.student, date=r.on, kind=kind
    )
    if r.p.get("text"):
        text += "\n" + r.p["text"]
    return text, [File("photo", r.p["file_id"])] if r.p.get("file_id") else []


def _absence_note_decided(r: Rendering) -> Text:
    if r.p.get("status") == "confirmed":
        return r.say(NOTE_ACCEPTED, date=r.on), []
    text = r.say(NOTE_REJECTED, date=r.on)
    if r.p.get("comment"):
        text += "\n" + r.t(N_("Comment: {comment}"), comment=r.p["comment"])
    return text, []


def _reminder_attendance(r: Rendering) -> Text:
    return r.t(
        N_(
            "Attendance is not marked for lesson {no} in {cls} ({subject}) today. Absences are entered on "
            "the day of the lesson: /today"
        ),
        no=r.p["lesson_no"],
        cls=r.p["class"],
        subject=r.p["subject"],
    ), []


SUBSTITUTION_MESSAGES = {
    "takes": N_(
        "You take lesson {no} in {cls} ({subject}) on {date} at {time} instead of {teacher}, and fill in its "
        "journal: it is in your /today."
    ),
    "released": N_("Lesson {no} in {cls} ({subject}) on {date} at {time} is no longer yours: {taker} takes it."),
    "owner": N_("Your lesson {no} in {cls} ({subject}) on {date} at {time} is given to {taker}."),
    "back": N_("Your lesson {no} in {cls} ({subject}) on {date} at {time} is yours again: no substitute."),
}


def _substitution(r: Rendering) -> Text:
    return r.t(
        SUBSTITUTION_MESSAGES[r.p["role"]],
        no=r.p["lesson_no"],
        cls=r.p["class"],
        subject=r.subject,
        date=r.on,
        time=r.p["starts_at"],
        teacher=r.p["teacher"],
        taker=r.p["taker"],
    ), []


# What a lesson still lacks 1.5 hours after it (000 §2.8), as a whole sentence in each language.
CONTENT_REMINDERS = {
    (False, False): N_(
        "Lesson {no} in {cls} ({subject}) still has no topic and no homework; both are entered within 1.5 "
        "hours of the lesson: /today"
    ),
    (False, True): N_(
        "Lesson {no} in {cls} ({subject}) still has no topic; it is entered within 1.5 hours of the lesson: /today"
    ),
    (True, False): N_(
        "Lesson {no} in {cls} ({subject}) still has no homework; it is entered within 1.5 hours of the lesson: /today"
    ),
}


def _reminder_content(r: Rendering) -> Text:
    message = CONTENT_REMINDERS.get((bool(r.p["topic"]), bool(r.p["homework"])), CONTENT_REMINDERS[(False, False)])
    return r.t(message, no=r.p["lesson_no"], cls=r.p["class"], subject=r.p["subject"]), []


def _reminder_reasons(r: Rendering) -> Text:
    return r.t(
        # Reasons are due within 2 working days (000 §2.9).
        N_("{cls}: {count} absence(s) without a reason, {overdue} past 2 working days: /absences"),
        cls=r.p["class"],
        count=r.p["count"],
        overdue=r.p["overdue"],
    ), []


def _reminder_week_check(r: Rendering) -> Text:
    # The class teacher checks the week's attendance (002 §5.1).
    return r.t(N_("{cls}: time for the weekly attendance check: /class"), cls=r.p["class"]), []


def _alert_unexcused(r: Rendering) -> Text:
    return r.t(
        N_("{student} ({cls}) has {count} unexcused absences in {period}."),
        student=r.p["student"],
        cls=r.p["class"],
        count=r.p["count"],
        period=r.p["period"],
    ), []


def _alert_average(r: Rendering) -> Text:
    return r.t(
        N_("{student} ({cls}) has an average of {average} in {subject} in {period}."),
        student=r.p["student"],
        cls=r.p["class"],
        average=r.p["average"],
        subject=r.p["subject"],
        period=r.p["period"],
    ), []


def _weekly_summary(r: Rendering) -> Text:
    return summary_text(r.p, r.student, r.locale, r.voice), []


RENDERERS: dict[str, Callable[[Rendering], Text]] = {  # by PushKind; a row reads back a plain str
    PushKind.GRADE_CREATED: _grade,
    PushKind.GRADE_CHANGED: _grade,
    PushKind.GRADE_REMOVED: _grade,
    PushKind.ABSENCE_MARKED: _absence_marked,
    PushKind.ABSENCE_WITHDRAWN: _absence_withdrawn,
    PushKind.REASON_GIVEN: _reason_given,
    PushKind.HOMEWORK_CREATED: _homework,
    PushKind.HOMEWORK_CHANGED: _homework,
    PushKind.HOMEWORK_REMOVED: _homework_removed,
    PushKind.PERIOD_GRADE: _period_grade,
    PushKind.ABSENCE_NOTE: _absence_note,
    PushKind.ABSENCE_NOTE_DECIDED: _absence_note_decided,
    PushKind.REMINDER_ATTENDANCE: _reminder_attendance,
    PushKind.REMINDER_CONTENT: _reminder_content,
    PushKind.REMINDER_REASONS: _reminder_reasons,
    PushKind.REMINDER_WEEK_CHECK: _reminder_week_check,
    PushKind.ALERT_UNEXCUSED: _alert_unexcused,
    PushKind.ALERT_AVERAGE: _alert_average,
    PushKind.WEEKLY_SUMMARY: _weekly_summary,
    PushKind.SUBSTITUTION: _substitution,
}


def render_one(push: Push, ctx: PushContext, locale: str, reader: Reader = Reader()) -> Text:
    """One push's text and files; an unknown kind (from a newer version's row) renders as nothing."""
    renderer = RENDERERS.get(push.kind)  # a str finds its StrEnum key
    return renderer(Rendering(push, ctx, locale, reader)) if renderer else ("", [])


def _buttons(delivery: Delivery) -> list[Button]:
    t = lambda message: translate(message, delivery.locale)  # noqa: E731
    buttons: list[Button] = []
    for push in delivery.pushes:
        p = push.payload
        if push.kind == PushKind.ABSENCE_MARKED and p.get("mark") == "absent" and delivery.explains_own_absences:
            explain = ExplainAbsence(int(p["student_id"]), date.fromisoformat(p["on_date"]).toordinal())
            if all(b.action != explain for b in buttons):
                buttons.append(Button(t(N_("Explain the absence")), explain))
        if push.kind == PushKind.ABSENCE_NOTE:
            buttons.append(Button("✅ " + t(N_("Confirm")), DecideNote(int(p["note_id"]), confirm=True)))
            buttons.append(Button("✖ " + t(N_("Reject")), DecideNote(int(p["note_id"]), confirm=False)))
    if len(delivery.pushes) == 1 and delivery.pushes[0].kind == PushKind.WEEKLY_SUMMARY:
        buttons = [Button("👁 " + t(N_("Seen")), SummarySeen(delivery.pushes[0].id))]
    return buttons[:MAX_BUTTONS]


def render(delivery: Delivery, ctx: PushContext) -> Message:
    """One message for everything due to this chat now (a catch-up after quiet hours, several grades).
    Every push carries a child's diary data or a family's note: none of it may be forwarded."""
    texts: list[str] = []
    files: list[File] = []
    reader = Reader(delivery.own_student_id, delivery.college)
    for push in delivery.pushes:
        text, attached = render_one(push, ctx, delivery.locale, reader)
        if text:
            texts.append(text)
            files += attached
    return Message("\n\n".join(texts)[:4096], _buttons(delivery), files, protect=True)
