"""Every kind of push the services queue; the views render each of them (tests/test_views.py)."""

from enum import StrEnum


class PushKind(StrEnum):
    GRADE_CREATED = "grade_created"
    GRADE_CHANGED = "grade_changed"
    GRADE_REMOVED = "grade_removed"
    ABSENCE_MARKED = "absence_marked"
    ABSENCE_WITHDRAWN = "absence_withdrawn"
    REASON_GIVEN = "reason_given"
    HOMEWORK_CREATED = "homework_created"
    HOMEWORK_CHANGED = "homework_changed"
    HOMEWORK_REMOVED = "homework_removed"
    PERIOD_GRADE = "period_grade"
    ABSENCE_NOTE = "absence_note"
    ABSENCE_NOTE_DECIDED = "absence_note_decided"
    REMINDER_ATTENDANCE = "reminder_attendance"
    REMINDER_CONTENT = "reminder_content"
    REMINDER_REASONS = "reminder_reasons"
    REMINDER_WEEK_CHECK = "reminder_week_check"
    ALERT_UNEXCUSED = "alert_unexcused"
    ALERT_AVERAGE = "alert_average"
    WEEKLY_SUMMARY = "weekly_summary"
    SUBSTITUTION = "substitution"
