"""How a report lays out when the school's real names are long: a full official school name, a double
surname, eighteen subjects of an eleventh grade. Nothing is cut, shrunk past reading or printed outside
the page (PDF), or outside the print area (XLSX)."""

import io
import re
import shutil
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from services.reports.access import Pupil
from services.reports.journal import Mark, Shares
from services.reports.progress import Row, Statement
from tests.test_reports_data import pdf_text
from views.documents import progress_statement
from views.documents.render import Format, render

SCHOOL = (
    "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 123 "
    "с углублённым изучением отдельных предметов имени А. С. Пушкина»"
)
SUBJECTS = [
    "Русский язык",
    "Литература",
    "Родной язык (русский)",
    "Иностранный язык (английский)",
    "Второй иностранный язык (немецкий)",
    "Алгебра",
    "Геометрия",
    "Вероятность и статистика",
    "Информатика",
    "История",
    "Обществознание",
    "География",
    "Физика",
    "Химия",
    "Биология",
    "Основы безопасности и защиты Родины",
    "Физическая культура",
    "Индивидуальный проект",
]
LONG_NAME = ("Константинопольская-Щербакова", "Александра-Виктория")


def statement() -> Statement:
    subjects = list(enumerate(SUBJECTS, 1))
    rows = []
    for n in range(30):
        last, first = LONG_NAME if n == 3 else (f"Ученик{n:02}", "Имя")
        marks = {s: Mark("2" if (n, s) == (5, 7) else "4" if (n + s) % 3 else None, 3.456) for s, _ in subjects}
        rows.append(Row(Pupil(n, 1, last, first, None, None), marks))
    shares = {s: Shares(30, 29, 30, 20) for s, _ in subjects}
    return Statement(
        SCHOOL,
        "11А",
        "2 полугодие",
        date(2027, 1, 12),
        date(2027, 5, 26),
        date(2027, 5, 20),
        subjects,
        rows,
        shares,
        Shares(30, 29, 30, 20),
        False,
        "Иванова А. Б.",
    )


def test_long_names_print_whole_in_the_pdf() -> None:
    content, _name = render(progress_statement.document([statement()], "ru"), Format.PDF)
    text = pdf_text(content)
    flat = re.sub(r"\s+", " ", text)
    assert SCHOOL in flat, "the school's full name, wrapped at the page's width, not cut"
    for subject in SUBJECTS:  # whole, turned upwards where too long for its column
        assert subject in flat, subject
    assert "Константинопольская-Щербакова Александра-Виктория" in flat
    assert "Классный руководитель ______________________ / Иванова А. Б." in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils")
def test_nothing_runs_off_the_pdf_page(tmp_path: pytest.TempPathFactory) -> None:
    """Every word's box lies inside the A4 landscape page (pdftotext -bbox gives each word's box)."""
    content, _name = render(progress_statement.document([statement()], "ru"), Format.PDF)
    path = tmp_path / "s.pdf"  # type: ignore[operator]
    path.write_bytes(content)
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True)
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', boxes.stdout)
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', boxes.stdout)
    assert words and page
    width, height = float(page[1]), float(page[2])
    assert width > height, "landscape"
    for x0, y0, x1, y1 in ((float(v) for v in w) for w in words):
        assert x0 >= 0 and x1 <= width and y0 >= 0 and y1 <= height


def test_xlsx_notes_and_signature_stay_inside_the_print_area() -> None:
    content, _name = render(progress_statement.document([statement()], "ru"), Format.XLSX)
    ws = load_workbook(io.BytesIO(content)).active
    assert ws is not None
    last = ws.max_column
    merged = {(r.min_row, r.min_col, r.max_col) for r in ws.merged_cells.ranges}
    texts = [
        row[0]
        for row in ws.iter_rows()
        if isinstance(row[0].value, str) and row[0].value.startswith(("Успеваемость", "Имеют", "Классный", "Муниц"))
    ]
    assert len(texts) == 4
    for cell in texts:  # each spread over the table's width and wrapped there, its row made tall enough
        assert (cell.row, 1, last) in merged, cell.value
        assert cell.alignment.wrap_text
        lines = len(cell.value) / (sum(ws.column_dimensions[c.column_letter].width or 8 for c in ws[1]) * 1.1)
        assert (ws.row_dimensions[cell.row].height or 15) >= 11 * max(1, int(lines))
    assert ws.print_area is not None and ws.print_area.endswith(f"${ws.cell(1, last).column_letter}${ws.max_row}")
