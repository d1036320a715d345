"""`diary-bot report …` on the test database (SQLite or PostgreSQL): the files and the refusals."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.settings import get_settings
from tests.support.journal import freeze
from tests.test_reports_data import ILL_DAYS, Known, november, pdf_text, sheet_of

runner = CliRunner()


@pytest.fixture
async def known(demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> Known:
    freeze(monkeypatch)
    return await november(session)


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in ("BOT_TOKEN", "TELEGRAM_API_URL", "REDIS_URL", "LOCALE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def invoke(*args: str) -> Result:
    get_settings.cache_clear()
    return runner.invoke(app, ["report", *args])


def test_attendance_sheet_as_xlsx(known: Known, env: Path) -> None:
    result = invoke("attendance", "--class", "5А", "--month", "2026-11", "--format", "xlsx", "-o", "sheet.xlsx")
    assert result.exit_code == 0, result.output
    assert "sheet.xlsx" in result.output
    ws = sheet_of((env / "sheet.xlsx").read_bytes())
    row = next(r for r in ws.iter_rows() if r[1].value == "Алексеев Матвей")
    assert row[2 + 30].value == known.due(known.ill, "1", ILL_DAYS)


def test_progress_statement_and_card_as_pdf(known: Known, env: Path) -> None:
    result = invoke("progress", "--class", "C5A", "--period", "Q2")
    assert result.exit_code == 0, result.output
    (made,) = env.glob("Сводная ведомость 5А 2 четверть.pdf")
    assert "4,67" in pdf_text(made.read_bytes())
    (env / "out").mkdir()
    result = invoke("card", "--student", "P020", "--year", "-o", "out")
    assert result.exit_code == 0, result.output
    (card,) = (env / "out").glob("Табель успеваемости Алексеев Матвей 2026-2027.pdf")
    assert "Учебный год: 2026/2027" in pdf_text(card.read_bytes())
    result = invoke("card", "--student", "P020", "--year", "-o", "card.xlsx")  # the format from the ending
    assert result.exit_code == 0, result.output
    assert load_workbook(env / "card.xlsx").active["A1"].value == "Табель успеваемости"
    result = invoke("attendance", "--class", "all", "--month", "2026-11", "--format", "xlsx")
    made = env / "Табель посещаемости 5А 2026-11.xlsx"  # the only class with lessons: named after it
    assert result.exit_code == 0 and sheet_of(made.read_bytes()).title == "5А"


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("attendance", "--class", "5А", "--month", "2026-13"), 1, "Месяц пишется как ГГГГ-ММ"),
        (("attendance", "--class", "5А", "--month", "2026-10"), 1, "За октябрь 2026 в журнале нет уроков класса 5А"),
        (("attendance", "--class", "5А", "--month", "2026-11", "--format", "docx"), 2, "--format: xlsx или pdf"),
        (("attendance", "--class", "5А", "--month", "2026-11", "-o", "/nonexistent/dir/x.pdf"), 2, "папки"),
        (("card", "--student", "P020", "--year", "-o", "/nonexistent/c.pdf"), 2, "Не удаётся записать"),
        (("attendance", "--class", "9Z", "--month", "2026-11"), 1, "Класса 9Z нет"),
        (("progress", "--class", "5А", "--period", "Q9"), 1, "Периода Q9 нет"),
        (("progress", "--class", "1А", "--period", "Q2"), 1, "отметки не ставятся"),
        (("card", "--student", "P999", "--period", "Q2"), 1, "Ученика P999 нет"),
        (("card", "--student", "P020"), 2, "Укажите --period ID или --year."),
        # A trailing slash names a folder: one that is not there is refused, not written as a file of that name.
        (("card", "--student", "P020", "--year", "-o", "nowhere/"), 2, "такой папки нет"),
        (("card", "--student", "P020", "--year", "--format", "pdf", "-o", "c.xlsx"), 2, "укажите одно и то же"),
        (
            ("attendance", "--class", "all", "--month", "2026-11", "--school", "L9"),
            1,
            "Школы L9 в реестре нет: укажите",
        ),
    ],
)
def test_bad_input_is_one_clear_line(known: Known, env: Path, args: tuple[str, ...], code: int, said: str) -> None:
    result = invoke(*args)
    assert result.exit_code == code and said in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), "no traceback"
    assert len(result.output.strip().splitlines()) == 1
    assert not list(env.glob("*.pdf")) and not list(env.glob("*.xlsx"))
