"""A code slip's texts never run into each other, the QR code or the next slip, however long the
school's name, the person's name or a parent's list of children: every word's box on the printed
page (poppler's `pdftotext -bbox`) is checked against every other word, the QR codes and the slip's
cut lines, and the QR codes still scan."""

import html
import re
import subprocess
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from pathlib import Path

import pytest
from pypdf import PdfReader

from services.link_codes import IssuedCode
from services.roles import Role
from tests.test_code_sheet import qr_links
from views.documents.code_sheet import COLUMNS, MARGIN, ROWS, Sheet, code_sheet

MM = 72 / 25.4  # points in a millimetre
SCHOOL = (
    "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 123 "
    "с углублённым изучением отдельных предметов» города Барнаула"
)
PARENT = "Константинопольская-Щербакова Александра Владимировна"
CHILDREN = ("Константинопольская-Щербакова Мария, 5А", "Константинопольский-Щербаков Пётр, 9В")
BOT = "school_diary_bot_of_a_long_name_x"  # 32 characters, Telegram's longest


@dataclass(frozen=True)
class Box:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def meets(self, other: "Box", slack: float = 0.05) -> bool:
        return (
            self.x0 < other.x1 - slack
            and other.x0 < self.x1 - slack
            and self.y0 < other.y1 - slack
            and other.y0 < self.y1 - slack
        )

    def inside(self, other: "Box") -> bool:
        return other.x0 <= self.x0 and self.x1 <= other.x1 and other.y0 <= self.y0 and self.y1 <= other.y1


def slips() -> list[IssuedCode]:
    def slip(n: int, name: str, roles: tuple[Role, ...], children: tuple[str, ...] = (), school: str = SCHOOL):
        return IssuedCode(n, name, roles, "5А, 9В", f"WWWWW-MMMMM-WWWW{n}", children, school, "f", "5А")

    return [
        slip(2, PARENT, (Role.PARENT,), CHILDREN),
        slip(3, "Васильева Ульяна Николаевна", (Role.STUDENT,)),
        slip(4, PARENT, (Role.PARENT,), CHILDREN, SCHOOL * 3),
        # Beyond any roster: the texts are cut with «…» rather than let out of their place.
        slip(5, "Ы" * 300, (Role.PARENT,), tuple(f"{PARENT}, {n}А" for n in range(1, 12)), SCHOOL * 5),
        slip(6, "Щ", (Role.STUDENT,), school=""),
        slip(7, PARENT + " " + PARENT, (Role.PARENT, Role.TEACHER, Role.TUTOR), CHILDREN),
    ]


def words(pdf: Path) -> list[list[Box]]:
    """Each page's words with their boxes, in points from the page's top left."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True)
    pages = []
    for page in out.stdout.split("<page ")[1:]:
        found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page)
        pages.append([Box(html.unescape(t), float(a), float(b), float(c), float(d)) for a, b, c, d, t in found])
    return pages


def qr_boxes(pdf: Path) -> list[list[Box]]:
    """Where each page draws its images (fpdf2: `q w 0 0 h x y cm /I1 Do Q`, from the bottom left)."""
    reader = PdfReader(pdf)
    pages = []
    for page in reader.pages:
        height = float(page.mediabox.height)
        stream = page.get_contents().get_data().decode("latin-1")  # type: ignore[union-attr]
        found = re.findall(r"q ([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm /I\d+ Do Q", stream)
        pages.append(
            [
                Box("QR", float(x), height - float(y) - float(h), float(x) + float(w), height - float(y))
                for w, h, x, y in found
            ]
        )
    return pages


def cells(page_w: float, page_h: float) -> list[Box]:
    w, h = (page_w - 2 * MARGIN * MM) / COLUMNS, (page_h - 2 * MARGIN * MM) / ROWS
    return [
        Box("slip", MARGIN * MM + c * w, MARGIN * MM + r * h, MARGIN * MM + (c + 1) * w, MARGIN * MM + (r + 1) * h)
        for r in range(ROWS)
        for c in range(COLUMNS)
    ]


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_nothing_on_a_slip_overlaps(tmp_path: Path, locale: str) -> None:
    pdf = tmp_path / "slips.pdf"
    pdf.write_bytes(code_sheet(slips(), Sheet(BOT, date(2026, 12, 23), locale)))
    reader = PdfReader(pdf)
    page_w, page_h = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    (page,), (qrs,) = words(pdf), qr_boxes(pdf)
    assert len(qrs) == len(slips())
    slip_cells = cells(page_w, page_h)
    for word in page:
        if word.y1 <= MARGIN * MM:
            continue  # the page's heading, above the slips
        assert any(word.inside(cell) for cell in slip_cells), f"{word} crosses a cut line"
        assert not any(word.meets(qr) for qr in qrs), f"{word} runs into a QR code"
    clashes = [(a, b) for a, b in combinations(page, 2) if a.meets(b)]
    assert not clashes, clashes[:5]
    text = " ".join(word.text for word in page)
    for slip in slips():
        assert slip.code.replace("-", "\u2011") in text, "the code is printed whole, in the /start line too"
    assert "Константинопольская-" in text and "Щербакова" in text and "Пётр," in text, "a real roster's names fit"
    assert "…" in text, "the texts beyond any roster are cut, not let out"
    assert sorted(link.rsplit("=", 1)[1] for link in qr_links(pdf)) == sorted(s.code for s in slips())
