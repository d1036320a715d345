"""A document as an XLSX workbook (XlsxWriter): a sheet a section, numbers kept as numbers, the header
frozen, the print area set, A4 landscape fitted to one page wide."""

import io
import math
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from views.documents.layout import Align, Cell, Document, Look, Section, group_spans_rows

A4 = 9  # XlsxWriter's paper code
FILLS = {Look.ALERT: "#F8D7DA", Look.OFF: "#E7E6E6", Look.TOTAL: "#EDF2F9"}


class Formats:
    """One format object per look and number format: Excel caps the number of distinct formats."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.cache: dict[tuple[Look, str, Align, bool], Any] = {}
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.heading = book.add_format({"font_size": 10, "text_wrap": True, "valign": "top"})
        self.note = book.add_format({"font_size": 9, "text_wrap": True, "valign": "top"})
        self.header = book.add_format(
            {
                "bold": True,
                "border": 1,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#D9E1F2",
            }
        )

    def cell(self, cell: Cell, align: Align) -> Any:
        key = (cell.look, cell.number_format, align, isinstance(cell.value, int | float))
        if key not in self.cache:
            spec: dict[str, Any] = {"border": 1, "valign": "vcenter", "font_size": 10}
            spec["align"] = {Align.LEFT: "left", Align.CENTER: "center", Align.RIGHT: "right"}[align]
            if cell.number_format:
                spec["num_format"] = cell.number_format
            if cell.look in (Look.BOLD, Look.TOTAL):
                spec["bold"] = True
            if cell.look is Look.CURRENT:
                spec["italic"] = True
                spec["font_color"] = "#555555"
            if cell.look in FILLS:
                spec["bg_color"] = FILLS[cell.look]
            self.cache[key] = self.book.add_format(spec)
        return self.cache[key]


def _sheet(book: Workbook, formats: Formats, section: Section, used: set[str]) -> None:
    name = _sheet_name(section.sheet_name, used)
    sheet: Worksheet = book.add_worksheet(name)
    last_col = len(section.columns) - 1
    width = sum(c.width for c in section.columns)
    sheet.write(0, 0, section.title, formats.title)
    row = 1
    for line in section.heading:
        _across(sheet, row, last_col, width, line, formats.heading, 10)
        row += 1
    row += 1
    if section.groups:
        col = 0
        for group in section.groups:
            if group_spans_rows(section, col, group.span):
                sheet.merge_range(row, col, row + 1, col, group.title, formats.header)
            elif group.span > 1:
                sheet.merge_range(row, col, row, col + group.span - 1, group.title, formats.header)
            else:
                sheet.write(row, col, group.title, formats.header)
            col += group.span
        row += 1
    header_row = row
    for col, column in enumerate(section.columns):
        if not (section.groups and group_spans_rows(section, col, _span_at(section, col))):
            sheet.write(row, col, column.title, formats.header)
        sheet.set_column(col, col, column.width)
    sheet.set_row(row, 30)
    row += 1
    first_body = row
    for cells in section.rows:
        for col, cell in enumerate(cells):
            fmt = formats.cell(cell, section.columns[col].align)
            if cell.value is None:
                sheet.write_blank(row, col, None, fmt)
            elif isinstance(cell.value, int | float):
                sheet.write_number(row, col, cell.value, fmt)
            else:
                sheet.write_string(row, col, cell.value, fmt)
        row += 1
    last_body = row - 1
    row += 1
    for note in section.notes:
        _across(sheet, row, last_col, width, note, formats.note, 9)
        row += 1
    for line in section.signatures:
        row += 1
        _across(sheet, row, last_col, width, line, formats.heading, 10)
    sheet.freeze_panes(first_body, section.frozen_columns)
    sheet.repeat_rows(header_row - (1 if section.groups else 0), header_row)
    sheet.print_area(0, 0, max(row, last_body), last_col)
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _across(sheet: Worksheet, row: int, last_col: int, width: float, text: str, fmt: Any, size: float) -> None:
    """A line of text over the table's whole width, wrapped there and its row made tall enough: text
    that ran on past the table's last column would be cut off at the print area's edge."""
    if last_col > 0:
        sheet.merge_range(row, 0, row, last_col, text, fmt)
    else:
        sheet.write(row, 0, text, fmt)
    # A column's width counts characters of the 11-point default font; a smaller type fits more of them.
    per_line = max(1.0, width * 11 / size * 0.9)
    lines = max(1, math.ceil(len(text) / per_line))
    sheet.set_row(row, lines * size * 1.35 + 2)


def _span_at(section: Section, column: int) -> int:
    """The span of the group that starts at this column (0: none starts there)."""
    col = 0
    for group in section.groups:
        if col == column:
            return group.span
        col += group.span
    return 0


def _sheet_name(wanted: str, used: set[str]) -> str:
    """Excel's rules for a sheet's name: 31 characters, none of []:*?/\\, unique in the book."""
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in wanted)[:28] or "1"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base} {n}"
    used.add(name.lower())
    return name


def to_xlsx(document: Document) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"title": document.file_stem, "author": document.author})
    formats = Formats(book)
    used: set[str] = set()
    for section in document.sections:
        _sheet(book, formats, section, used)
    book.close()
    return out.getvalue()
