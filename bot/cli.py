"""The `diary-bot` command line: run, db, import, codes, emulator, demo."""

import asyncio
import contextlib
import csv
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_help import LocalizedCommand, LocalizedGroup
from bot.cli_reports import report_app, writable_or_exit
from bot.processes import Role as ProcessRole
from bot.runtime import require_token, run_forever, settings_or_exit
from bot.settings import get_settings
from devtools import chat as devtools_chat
from locales.i18n import DEFAULT_LOCALE, translate, translate_plural
from models.db import make_engine, make_sessionmaker
from models.migrate import downgrade, upgrade
from services import tunables
from services.errors import N_, DiaryError
from services.link_codes import CodeFilter, IssuedCode, issue_codes, issue_codes_for, revoke_codes
from services.roles import Role, Viewer
from services.roster import ImportReport, RosterInvalid, import_roster
from services.roster.apply import SECTIONS

app = typer.Typer(
    cls=LocalizedGroup,
    help=N_("diary-bot: the Telegram front end of a school electronic diary."),
    no_args_is_help=True,
    # Shell completion is a developer's convenience; its options would be the help's only English lines.
    add_completion=False,
)
db_app = typer.Typer(cls=LocalizedGroup, help=N_("Database migrations."), no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(report_app, name="report")

T = TypeVar("T")
# Whoever runs the command line on this machine is the administrator of every school in its database.
OPERATOR = Viewer.command_line()
DEMO_DIR = Path(__file__).resolve().parent.parent / "examples" / "demo-school"


# The command line speaks the operator's language (LOCALE), Russian by default.
cli_locale = DEFAULT_LOCALE


def _(message: str) -> str:
    return translate(message, cli_locale)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translate_plural(singular, plural, n, cli_locale)


@app.callback()
def main() -> None:
    global cli_locale
    settings = settings_or_exit()
    cli_locale = settings.locale
    tunables.configure(settings.tunables())


@db_app.command("upgrade", cls=LocalizedCommand, help=N_("Bring the database schema up to date."))
def db_upgrade() -> None:
    settings = settings_or_exit()
    asyncio.run(upgrade(settings.database_url))
    typer.echo(_("The database is up to date."))


@db_app.command("downgrade", cls=LocalizedCommand, help=N_("Step the schema back (for developers)."))
def db_downgrade(revision: Annotated[str, typer.Argument(help=N_("target revision, e.g. -1 or base"))]) -> None:
    settings = settings_or_exit()
    asyncio.run(downgrade(settings.database_url, revision))
    typer.echo(_("The database is at revision {revision}.").format(revision=revision))


@app.command(
    cls=LocalizedCommand,
    help=N_(
        "Run the bot: by default one process does everything (long polling, delivery, the scheduler) "
        "and upgrades the database first."
    ),
)
def run(
    role: Annotated[
        ProcessRole,
        typer.Option(
            help=N_(
                "what this process does: web (updates), worker (sends pushes), scheduler (reminders and "
                "summaries; one leads, others stand by) or all"
            )
        ),
    ] = ProcessRole.ALL,
    webhook: Annotated[
        str | None,
        typer.Option(metavar="URL", help=N_("take updates by webhook at this https address (WEBHOOK_URL)")),
    ] = None,
) -> None:
    if webhook is not None:
        os.environ["WEBHOOK_URL"] = webhook  # checked like the setting itself
        get_settings.cache_clear()
    settings = settings_or_exit()
    require_token(settings)
    run_forever(settings, role=role)


def render_report(report: ImportReport) -> list[str]:
    lines = []
    for section in SECTIONS:
        created, updated = report.created[section], report.updated[section]
        deactivated, unchanged = report.deactivated[section], report.unchanged[section]
        if section in report.skipped_tables:
            lines.append(_("{table}: not in this roster, left as it was").format(table=section))
        elif created or updated or deactivated or unchanged:
            lines.append(
                _(
                    "{table}: {created} created, {updated} updated, {deactivated} deactivated, {unchanged} unchanged"
                ).format(table=section, created=created, updated=updated, deactivated=deactivated, unchanged=unchanged)
            )
    if report.notes:
        lines.append(_("Normalised:"))
        for note in report.notes:
            rows = ", ".join(str(r) for r in note.rows)
            reasons = note.params.get("reasons") or []
            text = translate(note.message, cli_locale, **{k: v for k, v in note.params.items() if k != "reasons"})
            if reasons:
                text += " (" + ", ".join(_(r) for r in reasons) + ")"
            lines.append(
                "  "
                + _("{source}, column {column}, rows {rows}: {text}").format(
                    source=note.source, column=note.column, rows=rows, text=text
                )
            )
    lines.append(_("Dry run: nothing was saved.") if report.dry_run else _("The roster is loaded."))
    return lines


def render_issue(issue: object) -> str:
    from services.roster import RosterIssue

    assert isinstance(issue, RosterIssue)
    text = translate(issue.message, cli_locale, **issue.params)
    if issue.row is not None and issue.column is not None:
        return _("{source}, row {row}, column {column}: {text}").format(
            source=issue.source, row=issue.row, column=issue.column, text=text
        )
    if issue.row is not None:
        return _("{source}, row {row}: {text}").format(source=issue.source, row=issue.row, text=text)
    return f"{issue.source}: {text}"


async def _import(url: str, path: Path, dry_run: bool) -> ImportReport:
    return await _with_session(url, lambda s: import_roster(s, path, dry_run=dry_run), save=not dry_run)


@app.command("import", cls=LocalizedCommand, help=N_("Load or update the school roster (all or nothing)."))
def import_(
    path: Annotated[Path, typer.Argument(help=N_("an .xlsx workbook or a folder of CSV files"))],
    dry_run: Annotated[bool, typer.Option("--dry-run", help=N_("check and report, save nothing"))] = False,
) -> None:
    settings = settings_or_exit()
    try:
        report = asyncio.run(_import(settings.database_url, path, dry_run))
    except RosterInvalid as invalid:
        count = len(invalid.issues)
        typer.echo(
            ngettext(
                "The roster was not loaded; nothing was changed. {count} error:",
                "The roster was not loaded; nothing was changed. {count} errors:",
                count,
            ).format(count=count),
            err=True,
        )
        for issue in invalid.issues:
            typer.echo(render_issue(issue), err=True)
        raise typer.Exit(1) from None
    for line in render_report(report):
        typer.echo(line)


async def _bot_username() -> str | None:
    settings = settings_or_exit()
    if settings.bot_token is None:
        return None
    from bot.app import make_bot

    bot = make_bot(settings)
    try:
        return (await asyncio.wait_for(bot.get_me(), 10)).username
    except Exception:  # no reachable Bot API: the codes still work when typed
        return None
    finally:
        await bot.session.close()


async def _codes(
    url: str, flt: CodeFilter, days: int, revoke: bool, replace: bool = False, ask_username: bool = True
) -> tuple[list[IssuedCode], int, str | None]:
    if revoke:
        return [], await _with_session(url, lambda s: revoke_codes(s, flt, actor=OPERATOR)), None
    issued = await _with_session(url, lambda s: issue_codes(s, flt, days=days, actor=OPERATOR, replace=replace))
    return issued, 0, (await _bot_username()) if issued and ask_username else None


def _sheet_username(given: str | None) -> str:
    """The bot's username for the sheet's QR codes: as given, else asked of Telegram with the token."""
    if given and given.strip() and not USERNAME.fullmatch(given.strip()):
        typer.echo(
            _(
                "--bot-username {name} is not a Telegram username: 5 to 32 Latin letters, digits or underscores "
                "(a leading @ is fine), e.g. --bot-username school_diary_bot."
            ).format(name=given),
            err=True,
        )
        raise typer.Exit(2)
    username = given.strip().lstrip("@") if given else asyncio.run(_bot_username())
    if not username or not all(ch.isalnum() or ch == "_" for ch in username):
        typer.echo(
            _(
                "A sheet needs the bot's username for its QR codes, and Telegram could not be asked for it "
                "(no BOT_TOKEN or no connection): give it with --bot-username, e.g. --bot-username school_diary_bot."
            ),
            err=True,
        )
        raise typer.Exit(2)
    return username


USERNAME = re.compile(r"@?[A-Za-z0-9_]{5,32}")  # Telegram's rule for a bot's username


def _write_sheet(issued: list[IssuedCode], username: str, days: int, output: Path) -> None:
    from services import clock
    from views.documents.code_sheet import Sheet, code_sheet, sheet_title
    from views.documents.render import safe_file_name

    sheet = Sheet(username, (clock.now() + timedelta(days=days)).date(), cli_locale)
    if output.is_dir():
        output = output / safe_file_name(sheet_title(issued, cli_locale), "pdf")
    try:
        output.write_bytes(code_sheet(issued, sheet))
    except OSError as error:  # the disk filled since the check: the codes are issued, so they are shown
        typer.echo(_("Cannot write {path}: {reason}.").format(path=output, reason=error.strerror), err=True)
        for c in issued:
            typer.echo(f"{c.full_name} | {c.code}")
        raise typer.Exit(1) from None
    typer.echo(
        ngettext("{count} slip written to {path}.", "{count} slips written to {path}.", len(issued)).format(
            count=len(issued), path=output
        )
    )


@app.command(cls=LocalizedCommand, help=N_("Issue link codes for people who have not linked Telegram yet."))
def codes(
    school: Annotated[str | None, typer.Option("--school", help=N_("the roster's school_id"))] = None,
    class_ref: Annotated[str | None, typer.Option("--class", help=N_("a class: its name (5А) or its class_id"))] = None,
    role: Annotated[Role | None, typer.Option(help=N_("only people with this role"))] = None,
    fmt: Annotated[str, typer.Option("--format", help=N_("text, csv or pdf (a sheet of slips to cut)"))] = "text",
    output: Annotated[Path | None, typer.Option("-o", "--output", help=N_("the PDF file to write"))] = None,
    bot_username: Annotated[
        str | None, typer.Option(help=N_("the bot's username for the QR codes, when Telegram cannot be asked"))
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help=N_("revoke the unused codes handed out earlier, then issue new ones"))
    ] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help=N_("revoke the unused codes instead"))] = False,
) -> None:
    settings = settings_or_exit()
    if fmt not in ("text", "csv", "pdf"):
        typer.echo(_("--format is text, csv or pdf."), err=True)
        raise typer.Exit(2)
    if fmt == "pdf" and output is None:
        typer.echo(_("A PDF goes to a file: give -o PATH, e.g. -o codes-5A.pdf."), err=True)
        raise typer.Exit(2)
    if revoke and replace:
        typer.echo(_("Give --revoke or --replace, not both."), err=True)
        raise typer.Exit(2)
    if fmt == "pdf" and not revoke:
        writable_or_exit(output)  # before any code is issued: codes nobody is shown are of no use
    sheet_username = _sheet_username(bot_username) if fmt == "pdf" and not revoke else None
    try:
        issued, revoked, username = asyncio.run(
            _codes(
                settings.database_url,
                CodeFilter(school, class_ref, role),
                settings.link_code_days,
                revoke,
                replace,
                ask_username=sheet_username is None,
            )
        )
    except DiaryError as error:
        typer.echo(translate(error.message, cli_locale, **error.params), err=True)
        raise typer.Exit(1) from None
    if revoke:
        typer.echo(ngettext("{count} code revoked.", "{count} codes revoked.", revoked).format(count=revoked))
        return
    if not issued:
        typer.echo(_("Nobody matches who has not linked an account yet; no codes were issued."))
        return
    if sheet_username is not None and output is not None:
        _write_sheet(issued, sheet_username, settings.link_code_days, output)
        return
    link = (lambda code: f"https://t.me/{username}?start={code}") if username else (lambda code: "")
    from views.documents.code_sheet import children_text, groups, role_words

    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        # The bot's table, in the operator's language: a parent's child in a column of its own.
        writer.writerow([_("Person"), _("Role"), _("Class"), _("Child"), _("Code"), _("Link")])
        for c in issued:
            roles = role_words(c, cli_locale)
            writer.writerow([c.full_name, roles, c.class_name or "", "; ".join(c.children), c.code, link(c.code)])
    else:
        grouped = list(groups(issued, cli_locale))
        for label, slips in grouped:
            if len(grouped) > 1:  # a whole school's codes, class by class and then the staff
                typer.echo(f"— {label} —")
            for c in slips:
                # A parent's column names the child as the child, not as if it were the parent's own name.
                whose = children_text(c, cli_locale) or c.class_name or "—"
                parts = [c.full_name, role_words(c, cli_locale), whose, c.code]
                if username:
                    parts.append(link(c.code))
                typer.echo(" | ".join(parts))
    if not username:
        typer.echo(
            _(
                "Note: the Bot API could not be reached for the bot's username, so there are no "
                "links; people send /start CODE to the bot instead."
            ),
            err=True,
        )
    typer.echo(
        ngettext("{count} code issued", "{count} codes issued", len(issued)).format(count=len(issued))
        + "; "
        + ngettext("valid for {days} day.", "valid for {days} days.", settings.link_code_days).format(
            days=settings.link_code_days
        ),
        err=True,
    )


@app.command(
    cls=LocalizedCommand,
    help=N_("Who of the families the bot reaches: linked, consented, reachable, read the last summary, by class."),
)
def coverage(
    school: Annotated[str | None, typer.Option("--school", help=N_("the roster's school_id"))] = None,
) -> None:
    from services import coverage as reach
    from views.coverage import class_lines, overview_lines

    for n, cov in enumerate(run_service(lambda s: reach.coverage(s, OPERATOR, school_ref=school))):
        lines = ([""] if n else []) + overview_lines(cov, cli_locale)
        for c in cov.classes:
            lines += ["", *class_lines(c, cov, cli_locale)]
        typer.echo("\n".join(lines))


async def _with_session(url: str, work: Callable[[AsyncSession], Awaitable[T]], *, save: bool = True) -> T:
    """A command's one unit of work: committed once when the work returns (unless it only checks),
    rolled back on any error."""
    await upgrade(url)
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await work(session)
            if save:
                await session.commit()
            else:
                await session.rollback()
            return result
    finally:
        await engine.dispose()


def run_service(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one service call; a domain error is the operator's message and exit code 1."""
    settings = settings_or_exit()
    try:
        return asyncio.run(_with_session(settings.database_url, work))
    except DiaryError as error:
        typer.echo(translate(error.message, cli_locale, **error.params), err=True)
        raise typer.Exit(1) from None


@app.command(
    cls=LocalizedCommand, help=N_("Give a lesson to a substitute teacher, who then fills its journal (004 §4).")
)
def substitute(
    class_ref: Annotated[str, typer.Option("--class", help=N_("a class: its name (5А) or its class_id"))],
    on: Annotated[str, typer.Option("--date", help=N_("YYYY-MM-DD"))],
    lesson_no: Annotated[int, typer.Option("--lesson-no", help=N_("the lesson's number that day"))],
    to: Annotated[
        str | None, typer.Option("--to", help=N_("the substitute's staff_id; leave out to give it back"))
    ] = None,
    subgroup: Annotated[str | None, typer.Option(help=N_("for a lesson split into groups"))] = None,
) -> None:
    from datetime import date

    from models import Lesson
    from services import audit as audit_log
    from services.audit import LessonRef, PersonRef
    from services.lessons import substitute_by_refs
    from views.audit import lesson_label, person_label

    try:
        day = date.fromisoformat(on)
    except ValueError:
        typer.echo(_("--date is YYYY-MM-DD, e.g. 2026-11-23."), err=True)
        raise typer.Exit(2) from None

    async def give(session: AsyncSession) -> tuple[Lesson, LessonRef, PersonRef]:
        lesson = await substitute_by_refs(
            session, OPERATOR, class_ref=class_ref, on=day, lesson_no=lesson_no, staff_ref=to, subgroup=subgroup
        )
        return lesson, *await audit_log.lesson_and_teacher(session, lesson)

    lesson, label, teacher = run_service(give)
    params = {"lesson": lesson_label(label, cli_locale), "name": person_label(teacher)}
    if lesson.substitute_id is None:
        typer.echo(_("Stays with its own teacher: {lesson} — {name}.").format(**params))
    else:
        typer.echo(_("Given to a substitute: {lesson} — {name}.").format(**params))


@app.command(
    "work-types",
    cls=LocalizedCommand,
    help=N_("List or change the school's kinds of graded work (oral answer, test …)."),
)
def work_types(
    school: Annotated[str | None, typer.Option("--school", help=N_("the roster's school_id"))] = None,
    add: Annotated[tuple[str, str] | None, typer.Option(help=N_("CODE NAME: add or rename a kind of work"))] = None,
    edit: Annotated[str | None, typer.Option(help=N_("CODE: change a kind of work (with --weight)"))] = None,
    weight: Annotated[
        str | None,
        typer.Option(help=N_("how many times its grades count in averages (above 0, at most 10; 1 by default)")),
    ] = None,
    disable: Annotated[str | None, typer.Option(help=N_("CODE: take a kind of work off the list"))] = None,
) -> None:
    from babel.numbers import format_decimal

    from services import work_type_admin

    if add is not None and edit is not None:
        typer.echo(_("Give --add or --edit, one at a time."), err=True)
        raise typer.Exit(2)
    if weight is not None and add is None and edit is None:
        typer.echo(_("--weight goes with --add CODE NAME or --edit CODE."), err=True)
        raise typer.Exit(2)
    if edit is not None and weight is None:
        typer.echo(_("--edit CODE changes the weight: give --weight too, e.g. --edit test --weight 2."), err=True)
        raise typer.Exit(2)
    if add is not None:
        run_service(lambda s: work_type_admin.add(s, OPERATOR, school, add[0], add[1], weight))
    elif edit is not None and weight is not None:
        run_service(lambda s: work_type_admin.set_weight(s, OPERATOR, school, edit, weight))
    if disable is not None:
        run_service(lambda s: work_type_admin.disable(s, OPERATOR, school, disable))
    for row in run_service(lambda s: work_type_admin.listing(s, OPERATOR, school)):
        state = "" if row.active else " " + _("(off)")
        weighs = _("weight {weight}").format(weight=format_decimal(row.weight, "0.##", locale=cli_locale))
        typer.echo(f"{row.code}: {_(row.name)}{state} — {weighs}")


@app.command(
    cls=LocalizedCommand, help=N_("Who changed what and when, with the values before and after (newest first).")
)
def audit(
    since: Annotated[str | None, typer.Option(help=N_("YYYY-MM-DD: entries from this day on"))] = None,
    entity: Annotated[str | None, typer.Option(help=N_("grade, attendance, homework, lesson, period_grade, …"))] = None,
    limit: Annotated[int, typer.Option(help=N_("how many entries at most"))] = 100,
) -> None:
    from datetime import date

    from services import audit as audit_log
    from views.audit import render

    start = None
    if since is not None:
        try:
            start = date.fromisoformat(since)
        except ValueError:
            typer.echo(_("--since is YYYY-MM-DD, e.g. 2026-11-23."), err=True)
            raise typer.Exit(2) from None
    lines = run_service(lambda s: audit_log.history(s, OPERATOR, since=start, entity=entity, limit=limit))
    for line in render(lines, cli_locale):
        typer.echo(line)


@app.command(cls=LocalizedCommand, help=N_("Run the Bot API emulator, for trying the bot offline."))
def emulator(
    host: Annotated[str, typer.Option(help=N_("address to listen on (loopback)"))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=N_("port to listen on"))] = 8081,
    limits: Annotated[
        bool, typer.Option(help=N_("answer 429 as Telegram does past 30/s per bot, 1/s per chat"))
    ] = False,
) -> None:
    from devtools.emulator import Emulator, serve

    async def go() -> None:
        # Update ids go on from a restart, as Telegram's do: a bot still running would otherwise
        # take the new ids for ones it has already handled.
        await serve(Emulator(limits=limits, first_update_id=int(time.time())), host, port)
        typer.echo(
            _(
                "Bot API emulator on http://{host}:{port}. Start the bot with "
                "TELEGRAM_API_URL=http://{host}:{port}; chat with `diary-bot chat`."
            ).format(host=host, port=port)
        )
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())


# Defined with the chat: `diary-bot chat` runs it without importing this module (bot/launch.py), to start at once.
app.command("chat", cls=LocalizedCommand, help=devtools_chat.HELP)(devtools_chat.command)


@app.command(
    cls=LocalizedCommand, help=N_("Create or refresh a demo school in SQLite, print link codes, and run the bot.")
)
def demo() -> None:
    settings = settings_or_exit()
    require_token(settings)
    if not settings.database_url.startswith("sqlite"):
        typer.echo(_("The demo uses SQLite only; unset DATABASE_URL or point it at an SQLite file."), err=True)
        raise typer.Exit(2)
    asyncio.run(_import(settings.database_url, DEMO_DIR, False))
    picks = [
        ("S03", _("teacher and class teacher of 5А")),
        ("S04", _("teacher, class teacher of 7Б")),
        ("R015", _("parent of two children")),
        ("P020", _("student of 5А")),
        ("S06", _("teacher and parent")),
        ("S01", _("administrator")),
    ]
    asyncio.run(_demo_codes(settings.database_url, settings.link_code_days, picks))
    # The demo is watched live: pushes come at once, at any hour (a school keeps its grace and quiet hours).
    demo_tunables = replace(settings.tunables(), grace=timedelta(0), quiet_by_default=False)
    tunables.configure(demo_tunables)
    typer.echo(
        _(
            "In the demo, notifications come at once (no grace minutes) and new accounts have no quiet hours. "
            "The school's time now: {time}."
        ).format(time=_school_time(settings.locale))
    )
    run_forever(settings, demo_tunables)


def _school_time(locale: str) -> str:
    """The demo school's clock (Asia/Barnaul), which may be a day ahead of the newcomer's."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Barnaul"))
    return format_datetime(now, "EEE, d MMMM, HH:mm", locale=locale) + " (Asia/Barnaul)"


async def _demo_codes(url: str, days: int, picks: list[tuple[str, str]]) -> None:
    from sqlalchemy import or_, select

    from models import Person

    async def issue(session: AsyncSession) -> list[str]:
        lines: list[str] = []
        for ref, label in picks:
            person = await session.scalar(
                select(Person).where(or_(Person.staff_ref == ref, Person.parent_ref == ref, Person.student_ref == ref))
            )
            if person is not None:
                code = (await issue_codes_for(session, [person], days=days, actor=OPERATOR))[0]
                user = 1001 + len(lines)
                lines.append(
                    _("{label}: {name} — diary-bot chat --user {user}, then /start {code}").format(
                        label=label, name=person.full_name, user=user, code=code.code
                    )
                )
        return lines

    for line in await _with_session(url, issue):
        typer.echo(line)
