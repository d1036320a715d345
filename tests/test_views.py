"""The views: every kind of push renders, in every language, to a message without untranslated words."""

import re
from datetime import UTC, datetime

import pytest

from locales.i18n import LOCALES
from models import Homework
from services.delivery_queue import Delivery, Push
from services.push_content import PushContext
from services.push_kinds import PushKind
from views.message import DecideNote, ExplainAbsence, SummarySeen
from views.pushes import RENDERERS, render, render_one

DAY = "2026-11-23"
GRADE = {"student_id": 1, "subject_id": 2, "value": 4, "on_date": DAY, "work_type": "Test", "comment": "Молодец"}
STAFF = {"lesson_no": 2, "class": "5А", "subject": "Физика"}
SAMPLES: dict[PushKind, dict] = {
    PushKind.GRADE_CREATED: GRADE,
    PushKind.GRADE_CHANGED: GRADE,
    PushKind.GRADE_REMOVED: GRADE,
    PushKind.ABSENCE_MARKED: {"student_id": 1, "subject_id": 2, "on_date": DAY, "lesson_no": 2, "mark": "absent"},
    PushKind.ABSENCE_WITHDRAWN: {"student_id": 1, "subject_id": 2, "on_date": DAY, "lesson_no": 2},
    PushKind.REASON_GIVEN: {"student_id": 1, "on_date": DAY, "reason": "illness", "lessons": [1, 2]},
    PushKind.HOMEWORK_CREATED: {"student_id": 1, "subject_id": 2, "homework_id": 3, "due_on": DAY},
    PushKind.HOMEWORK_CHANGED: {"student_id": 1, "subject_id": 2, "homework_id": 3, "due_on": DAY},
    PushKind.HOMEWORK_REMOVED: {"student_id": 1, "subject_id": 2, "homework_id": 3, "due_on": DAY},
    PushKind.PERIOD_GRADE: {"student_id": 1, "subject_id": 2, "period_id": 4, "kind": "period", "value": "pass"},
    PushKind.ABSENCE_NOTE: {"note_id": 5, "student_id": 1, "on_date": DAY, "note_kind": "illness", "text": "Болел"},
    PushKind.ABSENCE_NOTE_DECIDED: {"student_id": 1, "on_date": DAY, "status": "rejected", "comment": "Нет справки"},
    PushKind.REMINDER_ATTENDANCE: STAFF,
    PushKind.REMINDER_CONTENT: {**STAFF, "topic": False, "homework": True},
    PushKind.REMINDER_REASONS: {"class": "5А", "count": 3, "overdue": 1},
    PushKind.REMINDER_WEEK_CHECK: {"class": "5А"},
    PushKind.ALERT_UNEXCUSED: {"student": "Аня Лебедева", "class": "5А", "count": 5, "period": "2 четверть"},
    PushKind.ALERT_AVERAGE: {**STAFF, "student": "Аня", "average": "2,80", "period": "2 четверть"},
    PushKind.WEEKLY_SUMMARY: {
        "student_id": 1,
        "week_start": DAY,
        "grades": {"Физика": [5, 4]},
        "week_avg": {"Физика": 4.5},
        "period_avg": {"Физика": 4.2},
        "absences": [[DAY, 2, "Физика", "absent", None]],
        "homework": [[DAY, "Физика", "§ 12"]],
        "period_grades": [["1 четверть", "Физика", "period", "5"], ["Год", "Физика", "exam", "pass"]],
    },
    PushKind.SUBSTITUTION: {
        "lesson_id": 1,
        "subject_id": 2,
        "class": "5А",
        "lesson_no": 1,
        "on_date": DAY,
        "starts_at": "08:30",
        "teacher": "Соколова Елена Викторовна",
        "taker": "Гордеева Ирина Алексеевна",
        "role": "takes",
    },
}


def context() -> PushContext:
    homework = Homework(id=3, lesson_id=1, text="§ 12, упр. 3", given_by=1)
    homework.deleted_at = None
    return PushContext(
        students={1: "Аня Лебедева"},
        subjects={2: "Физика"},
        periods={4: "2 четверть"},
        homework={3: homework},
        averages={(1, 2): ("2 четверть", 4.25)},
    )


def test_every_kind_has_a_renderer_and_a_sample() -> None:
    assert set(RENDERERS) == set(PushKind) == set(SAMPLES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(PushKind))
def test_every_kind_renders_in_every_language(kind: PushKind, locale: str) -> None:
    text, _files = render_one(Push(9, kind, "grades", SAMPLES[kind]), context(), locale)
    assert text.strip(), kind
    assert "{" not in text, "every placeholder is filled"
    if locale == "ru":
        words = re.sub(r"/\w+", "", text)  # commands stay in Latin letters
        english = [word for word in ("the ", " is ", " was ", " has ", "grade", "absence") if word in words]
        assert not english, (kind, text)


def test_one_chat_gets_one_message_with_its_buttons() -> None:
    absent = Push(1, PushKind.ABSENCE_MARKED, "absences", SAMPLES[PushKind.ABSENCE_MARKED])
    grade = Push(2, PushKind.GRADE_CREATED, "grades", GRADE)
    note = Push(3, PushKind.ABSENCE_NOTE, "notes", SAMPLES[PushKind.ABSENCE_NOTE])
    message = render(Delivery(1, 100, "ru", "Asia/Barnaul", [absent, grade, note]), context())
    assert message.protect and message.text.count("\n\n") == 2
    assert [b.action for b in message.buttons] == [
        ExplainAbsence(1, datetime(2026, 11, 23, tzinfo=UTC).date().toordinal()),
        DecideNote(5, confirm=True),
        DecideNote(5, confirm=False),
    ]
    # a school's student gets no button to explain his own absence
    own = render(Delivery(1, 100, "ru", "Asia/Barnaul", [absent], explains_own_absences=False), context())
    assert own.buttons == []
    summary = Push(7, PushKind.WEEKLY_SUMMARY, "summaries", SAMPLES[PushKind.WEEKLY_SUMMARY])
    seen = render(Delivery(1, 100, "en", "Asia/Barnaul", [summary]), context())
    assert [b.action for b in seen.buttons] == [SummarySeen(7)] and "the week from" in seen.text
