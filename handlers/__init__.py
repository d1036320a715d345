"""aiogram routers, one module per audience or flow; thin: parse, call a service, render."""

from aiogram import Router

from handlers import (
    absence_notes,
    account,
    admin_journal,
    codes,
    coverage,
    fallback,
    family,
    journal_attendance,
    journal_grades,
    journal_homework,
    journal_today,
    period_grades,
    reports,
    settings,
    start,
    tutor,
)


def build_router() -> Router:
    root = Router(name="diary")
    # The fallback comes last so that every other router sees an update first.
    root.include_routers(
        start.make_router(),
        account.make_router(),
        codes.make_router(),
        coverage.make_router(),
        journal_today.make_router(),
        journal_attendance.make_router(),
        journal_grades.make_router(),
        journal_homework.make_router(),
        tutor.make_router(),
        period_grades.make_router(),
        admin_journal.make_router(),
        reports.make_router(),
        family.make_router(),
        absence_notes.make_router(),
        settings.make_router(),
        fallback.make_router(),
    )
    return root
