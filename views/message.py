"""A platform-neutral message: its text, its buttons (each naming an action, not a platform's
callback format) and its files."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExplainAbsence:
    """A family explains a student's absence on a day (the day as its ordinal)."""

    student_id: int
    day: int


@dataclass(frozen=True)
class DecideNote:
    """The class teacher confirms or rejects a family's note."""

    note_id: int
    confirm: bool


@dataclass(frozen=True)
class SummarySeen:
    """The family marks the weekly summary (an outbox row) as read."""

    notification_id: int


Action = ExplainAbsence | DecideNote | SummarySeen


@dataclass(frozen=True)
class Button:
    label: str
    action: Action


@dataclass(frozen=True)
class File:
    kind: str  # photo | document
    file_id: str


@dataclass
class Message:
    text: str
    buttons: list[Button] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    # A child's diary data: not to be forwarded or saved out of the chat.
    protect: bool = True
