"""Reading the roster's tables from an .xlsx workbook or a folder of CSV files, as text."""

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook

from services.errors import N_
from services.roster.issues import RosterIssue

TABLE_NAMES = (
    "schools",
    "staff",
    "classes",
    "students",
    "parents",
    "subjects",
    "teaching",
    "timetable",
    "periods",
)


@dataclass
class Table:
    name: str
    source: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)
    # Cells that had spaces around them, by column: the rows where that was so.
    trimmed: dict[str, list[int]] = field(default_factory=dict)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _build(name: str, source: str, raw_rows: list[list[object]]) -> Table:
    if not raw_rows:
        return Table(name, source, [])
    headers = [(_cell_text(h) or "").strip() for h in raw_rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    table = Table(name, source, headers)
    for number, raw in enumerate(raw_rows[1:], start=2):
        texts = [_cell_text(v) for v in raw]
        if all(t is None or not t.strip() for t in texts):
            continue  # blank lines in a spreadsheet mean nothing
        row: dict[str, str | None] = {}
        for index, header in enumerate(headers):
            text = texts[index] if index < len(texts) else None
            if text is not None and text != text.strip():
                table.trimmed.setdefault(header, []).append(number)
            text = text.strip() if text is not None else None
            row[header] = text or None
        extra = [t for t in texts[len(headers) :] if t is not None and t.strip()]
        if extra:
            row["\0extra"] = extra[0]
        table.rows.append((number, row))
    return table


def _read_csv(path: Path) -> list[list[object]]:
    # utf-8-sig drops the byte-order mark Excel writes.
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [list(r) for r in csv.reader(fh)]


def read_roster(path: str | Path) -> tuple[dict[str, Table], list[RosterIssue]]:
    path = Path(path)
    tables: dict[str, Table] = {}
    issues: list[RosterIssue] = []
    if path.is_dir():
        for name in TABLE_NAMES:
            file = path / f"{name}.csv"
            if file.exists():
                try:
                    tables[name] = _build(name, file.name, _read_csv(file))
                except UnicodeDecodeError:
                    issues.append(
                        RosterIssue(
                            file.name,
                            None,
                            None,
                            N_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
                        )
                    )
        for file in sorted(path.glob("*.csv")):
            if file.stem not in TABLE_NAMES:
                issues.append(
                    RosterIssue(
                        file.name,
                        None,
                        None,
                        N_("Unknown table: the file names the roster knows are {names}."),
                        {"names": ", ".join(f"{n}.csv" for n in TABLE_NAMES)},
                    )
                )
    elif path.is_file() and path.suffix.lower() == ".xlsx":
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged file
            return {}, [
                RosterIssue(
                    path.name, None, None, N_("The workbook cannot be opened. Save it again as .xlsx and retry.")
                )
            ]
        for sheet in workbook.worksheets:
            name = sheet.title.strip()
            if name in TABLE_NAMES:
                tables[name] = _build(name, name, [list(r) for r in sheet.iter_rows(values_only=True)])
            else:
                issues.append(
                    RosterIssue(
                        sheet.title,
                        None,
                        None,
                        N_("Unknown sheet: the sheet names the roster knows are {names}."),
                        {"names": ", ".join(TABLE_NAMES)},
                    )
                )
        workbook.close()
    else:
        issues.append(
            RosterIssue(str(path), None, None, N_("Not found: give a folder of CSV files or an .xlsx workbook."))
        )
    return tables, issues
