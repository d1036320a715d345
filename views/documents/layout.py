"""A report as a printable document, before it is XLSX or PDF: titled sections, each a table with its
heading lines, notes and a line for the signature. The XLSX and PDF writers both render this."""

from dataclasses import dataclass, field
from enum import StrEnum


class Look(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    CURRENT = "current"  # a running average where no period grade is given yet: italic
    ALERT = "alert"  # a 2, «н/а», a student over the absence threshold
    OFF = "off"  # a day without lessons
    TOTAL = "total"  # a totals row or column


class Align(StrEnum):
    LEFT = "L"
    CENTER = "C"
    RIGHT = "R"


@dataclass(frozen=True)
class Cell:
    """A value as the spreadsheet keeps it (a number stays a number) and as the page shows it."""

    value: str | int | float | None = None
    shown: str = ""  # the text on the PDF page, in the reader's locale
    number_format: str = ""  # the spreadsheet's display of a number, e.g. 0.00 or 0"Б"
    look: Look = Look.PLAIN


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # relative: the PDF spreads the columns over the page's width, the XLSX takes it in characters
    align: Align = Align.CENTER


@dataclass(frozen=True)
class Group:
    """A heading over several columns (the month's days, lessons missed by reason)."""

    title: str
    span: int


@dataclass
class Section:
    title: str
    sheet_name: str  # the XLSX sheet's (at most 31 characters)
    heading: list[str]  # the school, the class, the period, the day it was made
    columns: list[Column]
    rows: list[list[Cell]]
    groups: list[Group] = field(default_factory=list)  # empty: no row of group headings
    frozen_columns: int = 2  # the number and the name stay in sight when scrolling
    notes: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)  # a line each: who signs, and the line to sign on
    small: bool = False  # many columns: a smaller type on the page
    turn_headings: bool = False  # a heading too long for its narrow column reads upwards (the subjects)


@dataclass
class Document:
    file_stem: str
    sections: list[Section]
    author: str = ""  # the school's name, in the file's properties


def group_spans_rows(section: Section, column: int, span: int) -> bool:
    """A heading over one column without a title of its own takes both heading rows (№, the name)."""
    return span == 1 and not section.columns[column].title
