"""A student's report card as a document: a row a subject, the period's (or the year's) grades, lessons missed."""

from services.errors import N_
from services.reports.card import Card
from services.reports.journal import REASONS
from views.documents.layout import Align, Cell, Column, Document, Group, Look, Section
from views.documents.progress_statement import legend, mark_cell
from views.documents.words import Words, sign_line
from views.labels import PERIOD_GRADE_KINDS
from views.words import Phrase, Voice, pgettext, say

# «Ученик: …» of a boy, «Ученица: …» of a girl, «Обучающийся: …» when the roster does not tell.
STUDENT = Phrase(
    N_("Student: {name}, class {cls}"),
    pgettext("male", "Student: {name}, class {cls}"),
    pgettext("female", "Student: {name}, class {cls}"),
)


def _grade_columns(w: Words, card: Card) -> list[Column]:
    if not card.year:
        return [Column(w(N_("Average")), 10), Column(w(N_("Period grade")), 10)]
    return [
        Column(w(PERIOD_GRADE_KINDS[c.kind]).capitalize() if c.kind in PERIOD_GRADE_KINDS else c.name, 10)
        for c in card.columns
    ]


def _rows(w: Words, card: Card) -> list[list[Cell]]:
    rows = []
    for n, row in enumerate(card.rows, 1):
        cells = [Cell(n, str(n), "0"), Cell(row.subject, row.subject)]
        if card.year:
            cells += [mark_cell(w, m) for m in row.marks]
        else:
            mark = row.marks[0]
            cells.append(w.average_cell(mark.average))
            given = mark_cell(w, mark) if mark.given is not None else Cell(None, "")
            cells.append(given)
        cells += [w.count_cell(row.missed), w.count_cell(row.illness)]
        rows.append(cells)
    width = len(rows[0]) if rows else 0
    total = [Cell(None, "", look=Look.TOTAL), Cell(w(N_("Total")), w(N_("Total")), look=Look.TOTAL)]
    total += [Cell(None, "", look=Look.TOTAL)] * (width - 4)
    total += [
        w.count_cell(sum(r.missed for r in card.rows), Look.TOTAL),
        w.count_cell(sum(r.illness for r in card.rows), Look.TOTAL),
    ]
    return [*rows, total]


def _legend(w: Words, card: Card, rows: list[list[Cell]]) -> list[str]:
    """What grey and an empty cell mean, where the card has some: a year's card as the statement says it;
    a term's, its empty average (no grades) and its empty period grade (not given yet) apart."""
    grades = [cells[2:-2] for cells in rows[: len(card.rows)]]
    if card.year:
        empty = N_("An empty cell: no grade yet (the period has not begun or has no grades in the subject).")
        return legend(w, [cell for cells in grades for cell in cells], empty)
    said = []
    if any(cells[0].value is None for cells in grades):
        said.append(w(N_("An empty average: no grades in that subject in the period.")))
    if any(cells[1].value is None for cells in grades):
        said.append(w(N_("An empty period grade: it is not given yet.")))
    return said


def section(card: Card, locale: str) -> Section:
    w = Words(locale)
    grades = _grade_columns(w, card)
    columns = [Column("", 3.6), Column("", 30, Align.LEFT), *grades, Column(w(N_("total")), 9)]
    columns.append(Column(w(N_("of them, illness")), 9))
    groups = [
        Group("№", 1),
        Group(w(N_("Subject")), 1),
        Group(w(N_("Grades")), len(grades)),
        Group(w(N_("Lessons missed")), 2),
    ]
    missed = card.lessons_missed
    rows = _rows(w, card)
    notes = [
        w(
            N_(
                "Lessons missed: {total} (illness {illness}, excused {excused}, unexcused {unexcused}, "
                "no reason yet {none}); late: {late}."
            ),
            total=sum(missed[r] for r in REASONS),
            illness=missed["illness"],
            excused=missed["excused"],
            unexcused=missed["unexcused"],
            none=missed["none"],
            late=card.late,
        ),
        *_legend(w, card, rows),
    ]
    return Section(
        title=w(N_("Report card")),
        sheet_name=card.pupil.name,
        heading=[
            card.school,
            say(STUDENT, locale, Voice.THIRD, card.pupil.sex, name=card.pupil.name, cls=card.class_name),
            _when(w, card),
            w(N_("Made on {date}"), date=w.day(card.made_on)),
        ],
        columns=columns,
        groups=groups,
        rows=rows,
        notes=notes,
        signatures=[w(N_("Class teacher")) + " " + sign_line(card.signer), w(N_("Parent")) + " " + sign_line("")],
    )


def school_year(card: Card) -> str:
    """The year's card names the school year by its dates: 2026/2027."""
    return f"{card.starts_on.year}/{card.ends_on.year}"


def _when(w: Words, card: Card) -> str:
    """«Учебный год: 2026/2027»; a term's card, its name and dates, as the progress statement gives them."""
    if card.year:
        return w(N_("School year: {years}"), years=school_year(card))
    return w(
        N_("Period: {period} ({start} – {end})"),
        period=card.period,
        start=w.day(card.starts_on),
        end=w.day(card.ends_on),
    )


def document(card: Card, locale: str) -> Document:
    """Named for the family's folder: «Табель успеваемости Павлова Елизавета 2026-2027»."""
    w = Words(locale)
    when = school_year(card).replace("/", "-") if card.year else card.period
    title = w(N_("Report card {name} {period}"), name=card.pupil.name, period=when)
    return Document(title, [section(card, locale)], author=card.school)
