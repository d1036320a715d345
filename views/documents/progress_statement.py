"""The progress statement as a document: students × subjects, the student's average, the class's shares."""

from services.errors import N_
from services.reports.journal import Mark, Shares
from services.reports.progress import Statement
from views.documents.layout import Align, Cell, Column, Document, Group, Look, Section
from views.documents.words import Words, sign_line


def mark_cell(w: Words, mark: Mark) -> Cell:
    """The period grade as a number (or зач., н/а); while none is given, the running average in grey."""
    look = Look.ALERT if mark.failing else Look.PLAIN
    if mark.given is not None:
        if mark.given.isdigit():
            return Cell(int(mark.given), mark.given, "0", look)
        return Cell(w.period_mark(mark.given), w.period_mark(mark.given), look=look)
    if mark.average is not None:
        return w.average_cell(mark.average, Look.ALERT if mark.failing else Look.CURRENT)
    return Cell(None, "")


EMPTY_CELL = N_("An empty cell: no grades in that subject in the period.")


def legend(w: Words, marks: list[Cell], empty: str = EMPTY_CELL) -> list[str]:
    """What grey and an empty cell mean, said where the table has some."""
    said = []
    if any(cell.look is Look.CURRENT for cell in marks):
        said.append(w(N_("Grey: the running average (the school's weighted one); the period grade is not given yet.")))
    if any(cell.value is None for cell in marks):
        said.append(w(empty))
    return said


def _shares_row(w: Words, title: str, statement: Statement, pick: str) -> list[Cell]:
    def share(s: Shares) -> float | None:
        return s.success if pick == "success" else s.quality

    cells = [Cell(None, "", look=Look.TOTAL), Cell(title, title, look=Look.TOTAL)]
    cells += [w.share_cell(share(statement.by_subject[s])) for s, _name in statement.subjects]
    cells.append(w.share_cell(share(statement.overall)))
    return cells


def _failing(w: Words, statement: Statement) -> str:
    names = dict(statement.subjects)
    if not statement.failing:
        return w(N_("No student has a 2 or is not certified."))
    listed = "; ".join(
        row.pupil.name + " — " + ", ".join(f"{names[s]} ({_shown(w, row.marks[s])})" for s in subjects)
        for row, subjects in statement.failing
    )
    return w(N_("With a 2 or not certified: {list}."), list=listed)


def _shown(w: Words, mark: Mark) -> str:
    if mark.given is not None:
        return w.period_mark_long(mark.given)
    return w(N_("average {value}"), value=w.decimal(mark.average or 0))


def section(statement: Statement, locale: str) -> Section:
    w = Words(locale)
    subjects = [Column(name, 9) for _s, name in statement.subjects]
    columns = [Column("", 3.6), Column("", 26, Align.LEFT), *subjects, Column("", 9)]
    groups = [
        Group("№", 1),
        Group(w(N_("Student")), 1),
        Group(w(N_("Subjects")), len(subjects)),
        Group(w(N_("Average")), 1),
    ]
    rows = []
    for n, row in enumerate(statement.rows, 1):
        cells = [
            Cell(n, str(n), "0"),
            Cell(row.pupil.name, row.pupil.name, look=Look.ALERT if row.failing else Look.PLAIN),
        ]
        cells += [mark_cell(w, row.marks[s]) for s, _name in statement.subjects]
        cells.append(w.average_cell(row.average, Look.BOLD))
        rows.append(cells)
    rows.append(_shares_row(w, w(N_("Success rate")), statement, "success"))
    rows.append(_shares_row(w, w(N_("Quality of knowledge")), statement, "quality"))
    heading = [
        statement.school,
        w(N_("Class: {name}"), name=statement.class_name),
        w(
            N_("Period: {period} ({start} – {end})"),
            period=statement.period,
            start=w.day(statement.starts_on),
            end=w.day(statement.ends_on),
        ),
        w(N_("Made on {date}"), date=w.day(statement.made_on)),
    ]
    if statement.own_subjects_only:
        # A document is read by others than the teacher who made it: it names whose subjects these are.
        heading.append(w(N_("Only the subjects {teacher} teaches in this class."), teacher=statement.signer))
    marks = [cell for cells in rows[: len(statement.rows)] for cell in cells[2:-1]]
    notes = [*legend(w, marks)]
    notes += [
        w(
            N_(
                "Success rate: the share of students without a 2 or «not certified»; quality of knowledge: the "
                "share with only 4 and 5. A running average counts as the grade it rounds to."
            )
        ),
        _failing(w, statement),
    ]
    signer = N_("Teacher") if statement.own_subjects_only else N_("Class teacher")
    return Section(
        title=w(N_("Progress statement")),
        sheet_name=statement.class_name,
        heading=heading,
        columns=columns,
        groups=groups,
        rows=rows,
        notes=notes,
        signatures=[w(signer) + " " + sign_line(statement.signer)],
        small=len(subjects) > 12,
        turn_headings=True,
    )


def document(statements: list[Statement], locale: str) -> Document:
    """Named «Сводная ведомость 5А 2 четверть», the whole school's «… вся школа …»."""
    first, w = statements[0], Words(locale)
    whose = first.class_name if len(statements) == 1 else w(N_("whole school"))
    title = w(N_("Progress statement {whose} {period}"), whose=whose, period=first.period)
    return Document(title, [section(s, locale) for s in statements], author=first.school)
