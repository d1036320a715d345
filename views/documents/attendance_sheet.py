"""The monthly attendance sheet as a document: a row a student, a column a day of the month, the totals."""

from services.errors import N_
from services.reports.attendance import FLAG_SHARE, Day, Row, Sheet
from services.reports.journal import REASONS
from views.documents.layout import Align, Cell, Column, Document, Group, Look, Section
from views.documents.words import LATE_CODE, REASON_CODES, Words, percent_format, places_against, sign_line


def _day_cell(w: Words, day: Day | None, held: bool) -> Cell:
    """The lessons missed that day with the reason's mark (2Б); a number stays a number in the spreadsheet."""
    if not held:
        return Cell(None, "", look=Look.OFF)
    if day is None:
        return Cell(None, "")
    parts = [(day.missed[r], w(REASON_CODES[r])) for r in REASONS if day.missed[r]]
    if day.late:
        parts.append((day.late, w(LATE_CODE)))
    if not parts:
        return Cell(None, "")
    missed = sum(day.missed.values())
    if len(parts) == 1 and missed:
        count, code = parts[0]
        return Cell(count, f"{count}{code}", f'0"{code}"')
    marks = [f"{count}{code}" for count, code in parts]
    # The spreadsheet keeps the lessons missed as a number (a sum over the days still adds up) and shows
    # the marks as they are; on the page each mark has its own line, so a narrow column never cuts one.
    return Cell(missed, "\n".join(marks), '"' + " ".join(marks) + '"')


def _row(w: Words, n: int, row: Row, sheet: Sheet) -> list[Cell]:
    flag = Look.ALERT if row.flagged else Look.PLAIN
    cells = [Cell(n, str(n), "0"), Cell(row.pupil.name, row.pupil.name, look=flag)]
    cells += [_day_cell(w, row.days.get(d), d in sheet.lessons_a_day) for d in range(1, sheet.days_in_month + 1)]
    cells.append(w.count_cell(row.missed, Look.TOTAL))
    cells += [w.count_cell(row.lessons_missed[r]) for r in REASONS]
    cells.append(w.count_cell(row.late))
    cells.append(w.count_cell(sum(row.days_missed.values()), Look.TOTAL))
    cells += [w.count_cell(row.days_missed[r]) for r in REASONS]
    places = places_against(row.share, FLAG_SHARE)
    cells.append(Cell(row.share, w.percent(row.share, places), percent_format(places), flag))
    return cells


def _lessons_row(w: Words, sheet: Sheet, width: int) -> list[Cell]:
    cells = [Cell(None, ""), Cell(w(N_("Lessons that day")), w(N_("Lessons that day")), look=Look.TOTAL)]
    for d in range(1, sheet.days_in_month + 1):
        held = sheet.lessons_a_day.get(d)
        cells.append(Cell(held, str(held), "0", Look.TOTAL) if held else Cell(None, "", look=Look.OFF))
    return cells + [Cell(None, "", look=Look.TOTAL)] * (width - len(cells))


def _totals_row(w: Words, sheet: Sheet) -> list[Cell]:
    cells = [Cell(None, ""), Cell(w(N_("Total")), w(N_("Total")), look=Look.TOTAL)]
    for d in range(1, sheet.days_in_month + 1):
        missed = sum(sum(r.days[d].missed.values()) for r in sheet.rows if d in r.days)
        cells.append(w.count_cell(missed, Look.TOTAL if d in sheet.lessons_a_day else Look.OFF))
    cells.append(w.count_cell(sum(r.missed for r in sheet.rows), Look.TOTAL))
    cells += [w.count_cell(sheet.total(r), Look.TOTAL) for r in REASONS]
    cells.append(w.count_cell(sum(r.late for r in sheet.rows), Look.TOTAL))
    cells.append(w.count_cell(sheet.total_days(), Look.TOTAL))
    cells += [w.count_cell(sheet.total_days(r), Look.TOTAL) for r in REASONS]
    cells.append(Cell(None, "", look=Look.TOTAL))
    return cells


def _columns(w: Words, sheet: Sheet) -> tuple[list[Column], list[Group]]:
    days = [Column(str(d), 3.6) for d in range(1, sheet.days_in_month + 1)]
    columns = [Column("", 3.6), Column("", 22, Align.LEFT), *days]
    columns.append(Column(w(N_("total")), 6.5))
    columns += [Column(w(REASON_CODES[r]), 4.2) for r in REASONS]
    columns += [Column("", 12), Column(w(N_("total")), 6.5)]
    columns += [Column(w(REASON_CODES[r]), 4.2) for r in REASONS]
    columns.append(Column("", 10))
    groups = [
        Group("№", 1),
        Group(w(N_("Student")), 1),
        Group(w(N_("Lessons missed on the day of the month")), len(days)),
        Group(w(N_("Lessons missed")), 1 + len(REASONS)),
        Group(w(N_("Late")), 1),
        Group(w(N_("Days missed")), 1 + len(REASONS)),
        Group(w(N_("Share of lessons missed")), 1),
    ]
    return columns, groups


def _notes(w: Words, sheet: Sheet) -> list[str]:
    codes = ", ".join(w(N_("{code} — {meaning}"), code=w(REASON_CODES[r]), meaning=w(MEANINGS[r])) for r in REASONS)
    notes = [
        w(
            N_("A figure is the number of lessons missed that day: {codes}; {late} — late."),
            codes=codes,
            late=w(LATE_CODE),
        ),
        w(N_("Grey days had no lessons in the journal.")),
        w(
            N_(
                "Lessons missed: {total} (illness {illness}, excused {excused}, unexcused {unexcused}, "
                "no reason yet {none})."
            ),
            total=sum(sheet.total(r) for r in REASONS),
            illness=sheet.total("illness"),
            excused=sheet.total("excused"),
            unexcused=sheet.total("unexcused"),
            none=sheet.total("none"),
        ),
        w(
            N_(
                "Whole days missed: {total} (illness {illness}, excused {excused}, unexcused {unexcused}, "
                "no reason yet {none}); a day counts under the reason of most of its lessons."
            ),
            total=sheet.total_days(),
            illness=sheet.total_days("illness"),
            excused=sheet.total_days("excused"),
            unexcused=sheet.total_days("unexcused"),
            none=sheet.total_days("none"),
        ),
    ]
    flagged = [r for r in sheet.rows if r.flagged]
    threshold = w.percent(FLAG_SHARE)
    if flagged:
        names = "; ".join(
            f"{r.pupil.name} ({w.percent(r.share, places_against(r.share, FLAG_SHARE))})" for r in flagged
        )
        notes.append(w(N_("Missed {share} of their lessons or more: {names}."), share=threshold, names=names))
    else:
        notes.append(w(N_("Nobody missed {share} of their lessons or more."), share=threshold))
    return notes


MEANINGS = {
    "illness": N_("illness"),
    "excused": N_("excused"),
    "unexcused": N_("unexcused"),
    "none": N_("no reason given yet"),
}


def section(sheet: Sheet, locale: str) -> Section:
    w = Words(locale)
    columns, groups = _columns(w, sheet)
    rows = [_lessons_row(w, sheet, len(columns))]
    rows += [_row(w, n, row, sheet) for n, row in enumerate(sheet.rows, 1)]
    rows.append(_totals_row(w, sheet))
    return Section(
        title=w(N_("Attendance sheet")),
        sheet_name=sheet.class_name,
        heading=[
            sheet.school,
            w(N_("Class: {name}"), name=sheet.class_name),
            w(N_("Month: {month}"), month=w.month(sheet.month)),
            w(N_("Made on {date}"), date=w.day(sheet.made_on)),
        ],
        columns=columns,
        groups=groups,
        rows=rows,
        notes=_notes(w, sheet),
        signatures=[w(N_("Class teacher")) + " " + sign_line(sheet.signer)],
        small=True,
    )


def document(sheets: list[Sheet], locale: str) -> Document:
    """Named as a tutor files it: «Табель посещаемости 5А 2026-11», the whole school's «… вся школа …»."""
    first, w = sheets[0], Words(locale)
    whose = first.class_name if len(sheets) == 1 else w(N_("whole school"))
    title = w(N_("Attendance sheet {whose} {month}"), whose=whose, month=f"{first.month:%Y-%m}")
    return Document(title, [section(s, locale) for s in sheets], author=first.school)
