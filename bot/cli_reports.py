"""`diary-bot report attendance|progress|card`: the school's reports as XLSX or PDF files, made as the
administrator (the operator), in one unit of work each like every other command."""

import os
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
FormatOption = Annotated[
    str | None, typer.Option("--format", help=N_("xlsx or pdf (default: as -o's file ends, else pdf)"))
]
# A string, not a Path: a Path drops the trailing slash that says "a folder" (-o reports/).
OutputOption = Annotated[
    str | None, typer.Option("-o", "--output", help=N_("where to write the file (default: its name, here)"))
]
SchoolOption = Annotated[
    str | None, typer.Option("--school", help=N_("the roster's school_id, with --class all when there are several"))
]


def _format(fmt: str | None, output: Path | None) -> Format:
    """The file's format: as asked, else as the file named by -o ends, else PDF; a format that is not
    xlsx or pdf, or one that -o's ending contradicts, is one translated line and exit 2."""
    from bot.cli import _

    ending = output.suffix.lower().lstrip(".") if output is not None and not output.is_dir() else ""
    named = ending if ending in {f.value for f in Format} else None
    if fmt is None:
        return Format(named) if named else Format.PDF
    try:
        chosen = Format(fmt.strip().lower())
    except ValueError:
        typer.echo(_("--format is xlsx or pdf, not {value}.").format(value=fmt), err=True)
        raise typer.Exit(2) from None
    if named and named != chosen.value:
        typer.echo(
            _("{path} ends in .{ending}, but --format is {fmt}: make them agree.").format(
                path=output, ending=named, fmt=chosen.value
            ),
            err=True,
        )
        raise typer.Exit(2)
    return chosen


def output_path(raw: str | Path | None) -> Path | None:
    """-o as given: a trailing slash names a folder, which must be there (else it would be taken for a
    file of that name)."""
    from bot.cli import _

    if raw is None:
        return None
    path = Path(raw)
    if isinstance(raw, str) and raw.endswith(("/", os.sep)) and not path.is_dir():
        typer.echo(
            _("Cannot write to {path}: there is no such folder. Give -o with a folder that exists.").format(path=raw),
            err=True,
        )
        raise typer.Exit(2)
    return path


def writable_or_exit(output: Path | None) -> None:
    """Refuse, in one translated line and before anything is made or issued, a file that cannot be
    written: a folder that is not there, or one (or a file) this user may not write."""
    from bot.cli import _

    folder = Path.cwd() if output is None else output if output.is_dir() else output.parent
    if not folder.is_dir():
        typer.echo(
            _("Cannot write {path}: there is no folder {folder}. Give -o with a folder that exists.").format(
                path=output, folder=folder
            ),
            err=True,
        )
        raise typer.Exit(2)
    blocked = output if output is not None and output.is_file() else folder
    if not os.access(blocked, os.W_OK):
        typer.echo(_("Cannot write {path}: no permission to write there.").format(path=blocked), err=True)
        raise typer.Exit(2)


def _write(document: Document, fmt: Format, output: Path | None) -> None:
    from bot.cli import _

    content, name = render(document, fmt)
    target = output or Path(name)
    if target.is_dir():
        target = target / name
    try:
        target.write_bytes(content)
    except OSError as error:  # the disk full, or the folder gone since it was checked
        typer.echo(_("Cannot write {path}: {reason}.").format(path=target, reason=error.strerror), err=True)
        raise typer.Exit(1) from None
    typer.echo(_("Written: {path}").format(path=target))


@report_app.command(
    "attendance", cls=LocalizedCommand, help=N_("The monthly attendance sheet of a class, or of every class.")
)
def attendance_report(
    class_ref: ClassOption,
    month: Annotated[str, typer.Option(help=N_("YYYY-MM"))],
    fmt: FormatOption = None,
    raw_output: OutputOption = None,
    school: SchoolOption = None,
) -> None:
    from bot.cli import OPERATOR, cli_locale, run_service
    from services.reports import access, attendance
    from views.documents import attendance_sheet

    output = output_path(raw_output)
    kind = _format(fmt, output)
    writable_or_exit(output)

    async def make(session: AsyncSession) -> list[attendance.Sheet]:
        first = attendance.parse_month(month)
        if class_ref == ALL:
            return await attendance.school_sheets(session, OPERATOR, school, first)
        school_class = await access.class_by_ref(session, OPERATOR, class_ref)
        return [await attendance.class_sheet(session, OPERATOR, school_class.id, first)]

    _write(attendance_sheet.document(run_service(make), cli_locale), kind, output)


@report_app.command(
    "progress", cls=LocalizedCommand, help=N_("The progress statement of a class, or of every class, for a period.")
)
def progress_report(
    class_ref: ClassOption,
    period: Annotated[str, typer.Option(help=N_("the roster's period_id (Q2)"))],
    fmt: FormatOption = None,
    raw_output: OutputOption = None,
    school: SchoolOption = None,
) -> None:
    from bot.cli import OPERATOR, cli_locale, run_service
    from services.reports import access, progress
    from views.documents import progress_statement

    output = output_path(raw_output)
    kind = _format(fmt, output)
    writable_or_exit(output)

    async def make(session: AsyncSession) -> list[progress.Statement]:
        if class_ref == ALL:
            school_id = (await access.school_for(session, OPERATOR, school)).id
            period_id = await access.period_by_ref(session, OPERATOR, school_id, period)
            return await progress.school_statements(session, OPERATOR, school, period_id)
        school_class = await access.class_by_ref(session, OPERATOR, class_ref)
        period_id = await access.period_by_ref(session, OPERATOR, school_class.school_id, period)
        return [await progress.class_statement(session, OPERATOR, school_class.id, period_id)]

    _write(progress_statement.document(run_service(make), cli_locale), kind, output)


@report_app.command("card", cls=LocalizedCommand, help=N_("A student's report card for a period or for the year."))
def card_report(
    student: Annotated[str, typer.Option(help=N_("the roster's student_id (P020)"))],
    period: Annotated[
        str | None, typer.Option(help=N_("the roster's period_id (Q2; a year's id gives the year's card)"))
    ] = None,
    year: Annotated[bool, typer.Option("--year", help=N_("the card for the school year now"))] = False,
    fmt: FormatOption = None,
    raw_output: OutputOption = None,
) -> None:
    from bot.cli import OPERATOR, _, cli_locale, run_service
    from services.reports import access, card
    from views.documents import report_card

    if (period is None) == (not year):
        typer.echo(_("Give --period ID or --year."), err=True)
        raise typer.Exit(2)
    output = output_path(raw_output)
    kind = _format(fmt, output)
    writable_or_exit(output)

    async def make(session: AsyncSession) -> card.Card:
        student_id, school_id = await access.student_by_ref(session, OPERATOR, student)
        period_id = await access.period_by_ref(session, OPERATOR, school_id, None if year else period)
        return await card.report_card(session, OPERATOR, student_id, period_id)

    _write(report_card.document(run_service(make), cli_locale), kind, output)
