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
    op: Literal["topic"]
    lesson_id: Id
    text: Text


class HomeworkSet(Strict):
    op: Literal["homework"]
    lesson_id: Id
    homework_id: Id | None = None
    text: Text
    due_on: date | None = None


Change = Annotated[Mark | GradeAdd | GradeChange | GradeDelete | Topic | HomeworkSet, Field(discriminator="op")]


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
