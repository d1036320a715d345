"""Loading a school's roster (roster-format.md): read, validate everything, then apply at once."""

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from services.roster.apply import ImportReport, apply_roster
from services.roster.issues import RosterInvalid, RosterIssue, RosterNote
from services.roster.reader import read_roster
from services.roster.validate import validate_roster

__all__ = [
    "ImportReport",
    "RosterInvalid",
    "RosterIssue",
    "RosterNote",
    "apply_roster",
    "import_roster",
    "read_roster",
    "validate_roster",
]


async def import_roster(session: AsyncSession, path: str | Path, *, dry_run: bool = False) -> ImportReport:
    """All or nothing: any error and the database is left exactly as it was."""
    tables, issues = read_roster(path)
    if issues and not tables:
        raise RosterInvalid(issues)  # nothing readable: the rest would only be noise
    roster, issues, notes = validate_roster(tables, issues)
    if issues:
        raise RosterInvalid(issues)
    return await apply_roster(session, roster, notes, dry_run=dry_run)
