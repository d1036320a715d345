"""What the import reports: errors that stop it, and notes on what it normalised."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RosterIssue:
    source: str  # the file or sheet as the user sees it: "staff.csv" or "staff"
    row: int | None  # as in a spreadsheet: the header is row 1
    column: str | None
    message: str  # a message id
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RosterNote:
    source: str
    column: str | None
    rows: tuple[int, ...]
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class RosterInvalid(Exception):
    def __init__(self, issues: list[RosterIssue]) -> None:
        super().__init__(f"{len(issues)} error(s) in the roster")
        self.issues = issues
