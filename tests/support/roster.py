"""Editing a copy of the demo roster for import tests."""

import csv
import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Base
from tests.conftest import DEMO


def copy_demo(tmp_path: Path) -> Path:
    target = tmp_path / "roster"
    shutil.copytree(DEMO, target)
    return target


def read_table(folder: Path, name: str) -> list[list[str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return [list(r) for r in csv.reader(fh)]


def write_table(folder: Path, name: str, rows: list[list[str]]) -> None:
    with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def set_cell(folder: Path, name: str, row: int, column: str, value: str) -> None:
    """Row numbers as in a spreadsheet: the header is row 1."""
    rows = read_table(folder, name)
    rows[row - 1][rows[0].index(column)] = value
    write_table(folder, name, rows)


async def snapshot(session: AsyncSession) -> dict[str, int]:
    """Row counts of every table, and a checksum-like view of names, to see that nothing changed."""
    counts = {}
    for table in Base.metadata.sorted_tables:
        counts[table.name] = await session.scalar(select(func.count()).select_from(table))
    return counts
