"""`diary-bot report attendance|progress|card`: the school's reports as XLSX or PDF files, made as the
administrator (the operator), in one unit of work each like every other command."""

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_help import LocalizedCommand, LocalizedGroup
from services.errors import N_
from views.documents.layout import Document
from views.documents.render import Format, render

report_app = typer.Typer(
    cls=LocalizedGroup, help=N_("The school's reports as XLSX or PDF files."), no_args_is_help=True
)

ALL = "all"
ClassOption = Annotated[
    str, typer.Option("--class", help=N_("a class: its name (5А) or its class_id; all: every class of the school"))
]
FormatOption = Annotated[Format, typer.Option("--format", help=N_("xlsx or pdf"))]
OutputOption = Annotated[
    Path | None, typer.Option("-o", "--output", help=N_("where to write the file (default: its name, here)"))
]
SchoolOption = Annotated[
    str | None, typer.Option("--school", help=N_("the roster's school_id, with --class all when there are several"))
]


def _write(document: Document, fmt: Format, output: Path | None) -> None:
    from bot.cli import _

    content, name = render(document, fmt)
    target = output or Path(name)
    if target.is_dir():
        target = target / name
    target.write_bytes(content)
    typer.echo(_("Written: {path}").format(path=target))


@report_app.command(
    "attendance", cls=LocalizedCommand, help=N_("The monthly attendance sheet of a class, or of every class.")
)
def attendance_report(
    class_ref: ClassOption,
    month: Annotated[str, typer.Option(help=N_("YYYY-MM"))],
    fmt: FormatOption = Format.PDF,
    output: OutputOption = None,
    school: SchoolOption = None,
) -> None:
    from bot.cli import OPERATOR, cli_locale, run_service
    from services.reports import access, attendance
    from views.documents import attendance_sheet

    async def make(session: AsyncSession) -> list[attendance.Sheet]:
        first = attendance.parse_month(month)
        if class_ref == ALL:
            return await attendance.school_sheets(session, OPERATOR, school, first)
        school_class = await access.class_by_ref(session, OPERATOR, class_ref)
        return [await attendance.class_sheet(session, OPERATOR, school_class.id, first)]

    _write(attendance_sheet.document(run_service(make), cli_locale), fmt, output)


@report_app.command(
    "progress", cls=LocalizedCommand, help=N_("The progress statement of a class, or of every class, for a period.")
)
def progress_report(
    class_ref: ClassOption,
    period: Annotated[str, typer.Option(help=N_("the roster's period_id (Q2)"))],
    fmt: FormatOption = Format.PDF,
    output: OutputOption = None,
    school: SchoolOption = None,
) -> None:
    from bot.cli import OPERATOR, cli_locale, run_service
    from services.reports import access, progress
    from views.documents import progress_statement

    async def make(session: AsyncSession) -> list[progress.Statement]:
        if class_ref == ALL:
            school_id = (await access.school_for(session, OPERATOR, school)).id
            period_id = await access.period_by_ref(session, OPERATOR, school_id, period)
            return await progress.school_statements(session, OPERATOR, school, period_id)
        school_class = await access.class_by_ref(session, OPERATOR, class_ref)
        period_id = await access.period_by_ref(session, OPERATOR, school_class.school_id, period)
        return [await progress.class_statement(session, OPERATOR, school_class.id, period_id)]

    _write(progress_statement.document(run_service(make), cli_locale), fmt, output)


@report_app.command("card", cls=LocalizedCommand, help=N_("A student's report card for a period or for the year."))
def card_report(
    student: Annotated[str, typer.Option(help=N_("the roster's student_id (P020)"))],
    period: Annotated[
        str | None, typer.Option(help=N_("the roster's period_id (Q2; a year's id gives the year's card)"))
    ] = None,
    year: Annotated[bool, typer.Option("--year", help=N_("the card for the school year now"))] = False,
    fmt: FormatOption = Format.PDF,
    output: OutputOption = None,
) -> None:
    from bot.cli import OPERATOR, _, cli_locale, run_service
    from services.reports import access, card
    from views.documents import report_card

    if (period is None) == (not year):
        typer.echo(_("Give --period ID or --year."), err=True)
        raise typer.Exit(2)

    async def make(session: AsyncSession) -> card.Card:
        student_id, school_id = await access.student_by_ref(session, OPERATOR, student)
        period_id = await access.period_by_ref(session, OPERATOR, school_id, None if year else period)
        return await card.report_card(session, OPERATOR, student_id, period_id)

    _write(report_card.document(run_service(make), cli_locale), fmt, output)
