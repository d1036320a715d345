"""What the page may send: every field named and bounded, anything else refused (no user ids: who
is asking comes from the signed initData only)."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
# Any whole number: the grade services check it against the school's scale and say what the scale
# is, which a bound here would hide behind "the page sent something the diary does not understand".
Value = int
Text = Annotated[str, Field(max_length=5000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Mark(Strict):
    op: Literal["mark"]
    lesson_id: Id
    student_id: Id
    mark: Annotated[str, Field(max_length=16)]


class GradeAdd(Strict):
    op: Literal["grade_add"]
    lesson_id: Id
    student_id: Id
    value: Value
    work_type_id: Id | None = None
    comment: Text | None = None
    confirm_absent: bool = False


class GradeChange(Strict):
    op: Literal["grade_change"]
    grade_id: Id
    value: Value | None = None
    work_type_id: Id | None = None
    comment: Text | None = None


class GradeDelete(Strict):
    op: Literal["grade_delete"]
    grade_id: Id


class Topic(Strict):
    """An empty text clears the topic."""

    op: Literal["topic"]
    lesson_id: Id
    text: Text


class HomeworkSet(Strict):
    """A due date of None: the next lesson for a new homework, the one it has for a change."""

    op: Literal["homework"]
    lesson_id: Id
    homework_id: Id | None = None
    text: Text
    due_on: date | None = None


class HomeworkDelete(Strict):
    op: Literal["homework_delete"]
    lesson_id: Id
    homework_id: Id


Change = Annotated[
    Mark | GradeAdd | GradeChange | GradeDelete | Topic | HomeworkSet | HomeworkDelete, Field(discriminator="op")
]


class Save(Strict):
    changes: Annotated[list[Change], Field(min_length=1, max_length=400)]


class Reason(Strict):
    reason: Annotated[str, Field(max_length=16)]
    attendance_id: Id | None = None
    student_id: Id | None = None
    on_date: date | None = None


class GridQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    class_id: Id
    subject_id: Id
    period_id: Id | None = None


class MeQuery(BaseModel):
    """The class and subject the page would open on (where its unsaved changes are), if any."""

    model_config = ConfigDict(extra="forbid")
    class_id: Id | None = None
    subject_id: Id | None = None


class LessonQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lesson_id: Id


class ClassQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    class_id: Id | None = None
    span: Literal["week", "period"] = "week"


class BookQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_id: Id | None = None
    month: date | None = None


class FileQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_id: Id
    homework_id: Id
    index: Annotated[int, Field(ge=0, le=100)]
    # The file's key and the reader's Telegram id: the address names one file for one person, so
    # the browser's private copy of it is never another file's or another account's.
    key: Annotated[str, Field(pattern="^[0-9a-f]{16}$")]
    user: Annotated[int, Field(ge=1, le=2**53)]
