"""The monthly attendance sheet: its figures against the known November, read back from XLSX and PDF."""

import io
import re
from collections import Counter
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession

from locales.i18n import translate
from models import Attendance
from services.errors import NotFound
from services.reports import attendance
from tests.support.journal import MONDAY, act_as, freeze, person, student_id
from tests.test_reports_data import AWAY_DAY, ILL_DAYS, NOVEMBER, Known, november, pdf_text, sheet_of
from views.documents import attendance_sheet
from views.documents.render import Format, render

DAYS = 30  # November
TOTAL = 2 + DAYS  # after №, the name and the days: lessons (total, Б, У, Н, ОТ), late, days (total, Б, У, Н, ОТ), share
SHARE = TOTAL + 11


@pytest.fixture
async def known(demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> Known:
    freeze(monkeypatch)
    return await november(session)


async def test_sheet_counts_what_the_journal_holds(known: Known, session: AsyncSession) -> None:
    sheet = await attendance.class_sheet(session, await act_as(session, "S03"), known.class_id, NOVEMBER)
    rows = {r.pupil.student_id: r for r in sheet.rows}
    assert len(rows) == 15
    ill, truant, away = rows[known.ill], rows[known.truant], rows[known.away]
    ill_lessons = known.due(known.ill, "1", ILL_DAYS)
    assert ill.lessons_missed == Counter(illness=ill_lessons)
    assert ill.days_missed == Counter(illness=5)
    assert ill.lessons_due == known.due(known.ill, "1")
    assert ill.flagged and ill_lessons / ill.lessons_due >= 0.3
    assert truant.lessons_missed == Counter(unexcused=1) and truant.late == 1 and not truant.days_missed
    assert away.lessons_missed == Counter(none=known.due(known.away, "1", [AWAY_DAY]))
    assert away.days_missed == Counter(none=1) and not away.flagged
    assert sum(r.missed for r in sheet.rows) == ill.missed + truant.missed + away.missed
    assert sheet.lessons_a_day[9] == known.due(known.ill, "1", [date(2026, 11, 9)])
    assert 1 not in sheet.lessons_a_day and 7 not in sheet.lessons_a_day  # before the quarter; a Saturday


async def test_xlsx_keeps_numbers_and_is_set_for_printing(known: Known, session: AsyncSession) -> None:
    sheet = await attendance.class_sheet(session, await act_as(session, "S01"), known.class_id, NOVEMBER)
    content, name = render(attendance_sheet.document([sheet], "ru"), Format.XLSX)
    assert name == "Табель посещаемости 5А 2026-11.xlsx"
    assert load_workbook(io.BytesIO(content)).properties.title == "Табель посещаемости 5А 2026-11"
    ws = sheet_of(content)
    assert ws["A1"].value == "Табель посещаемости"
    row = next(r for r in ws.iter_rows() if r[1].value == "Алексеев Матвей")
    on_9th = row[1 + 9]
    assert on_9th.value == known.due(known.ill, "1", [date(2026, 11, 9)]) and on_9th.number_format == '0"Б"'
    ill_lessons = known.due(known.ill, "1", ILL_DAYS)
    assert [c.value for c in row[TOTAL : TOTAL + 5]] == [ill_lessons, ill_lessons, None, None, None]
    # Whole days: all of them, then by reason.
    assert [c.value for c in row[TOTAL + 6 : TOTAL + 11]] == [5, 5, None, None, None]
    away_row = next(r for r in ws.iter_rows() if r[1].value == "Романова Екатерина")
    assert [c.value for c in away_row[TOTAL + 6 : TOTAL + 11]] == [1, None, None, None, 1]
    share = row[SHARE]
    assert isinstance(share.value, float) and share.number_format == "0%" and share.value >= 0.3
    truant = next(r for r in ws.iter_rows() if r[1].value == "Петров Андрей")
    assert truant[1 + 16].value == 1 and truant[1 + 16].number_format == '0"Н"'
    # A day with a late only: no lesson missed, the mark shown as it is.
    assert truant[1 + 17].value == 0 and truant[1 + 17].number_format == '"1ОП"'
    away = next(r for r in ws.iter_rows() if r[1].value == "Романова Екатерина")
    assert away[1 + 18].number_format == '0"ОТ"'
    assert ws.freeze_panes is not None and ws.freeze_panes.startswith("C")
    assert ws.print_area and ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    # One page wide (Excel's default width of 1 is left out of the file), as many tall as it takes.
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert int(ws.page_setup.fitToHeight) == 0


async def test_pdf_names_the_class_month_and_who_missed_too_much(known: Known, session: AsyncSession) -> None:
    sheet = await attendance.class_sheet(session, await act_as(session, "S01"), known.class_id, NOVEMBER)
    text = pdf_text(render(attendance_sheet.document([sheet], "ru"), Format.PDF)[0])
    for expected in ("Табель посещаемости", "МБОУ «Лицей № 1»", "Класс: 5А", "ноябрь 2026", "Классный руководитель"):
        assert expected in text
    flagged = text[text.index("Пропустили") :]
    assert "Алексеев Матвей" in flagged and "Петров" not in flagged
    total = sum(r.missed for r in sheet.rows)
    assert f"Пропущено уроков: {total} (по болезни {known.due(known.ill, '1', ILL_DAYS)}" in text
    english = pdf_text(render(attendance_sheet.document([sheet], "en"), Format.PDF)[0])
    assert "Attendance sheet" in english and "November 2026" in english


async def test_a_month_without_lessons_is_a_message_not_an_empty_file(known: Known, session: AsyncSession) -> None:
    with pytest.raises(NotFound) as refused:
        await attendance.class_sheet(session, await act_as(session, "S03"), known.class_id, date(2026, 10, 1))
    assert translate(refused.value.message, "ru", **refused.value.params) == (
        "За октябрь 2026 в журнале нет уроков класса 5А: табель составить не из чего."
    )
    assert translate(refused.value.message, "en", **refused.value.params) == (
        "There are no lessons of class 5А in the journal for October 2026: nothing to put in the sheet."
    )


async def test_whole_school_has_a_sheet_a_class_with_lessons(known: Known, session: AsyncSession) -> None:
    sheets = await attendance.school_sheets(session, await act_as(session, "S01"), None, NOVEMBER)
    assert [s.class_name for s in sheets] == ["5А"]  # only 5А's lessons are in the journal
    content, _name = render(attendance_sheet.document(sheets, "ru"), Format.XLSX)
    assert sheet_of(content).title == "5А"


def test_month_is_parsed_or_refused() -> None:
    assert attendance.parse_month("2026-11") == NOVEMBER
    for bad in ("2026-13", "ноябрь", "2026/11", ""):
        with pytest.raises(attendance.DiaryError):
            attendance.parse_month(bad)


BUSY_DAY = date(2026, 11, 19)  # P017: truant, absent without a reason yet and late; ill and excused the next day
MARK = re.compile(r"\d+(?:ОП|ОТ|Б|У|Н)")


async def _busy_day(session: AsyncSession, known: Known) -> int:
    """Four marks of four kinds on one day for one student: the cell the PDF used to cut to its first mark."""
    sid = await student_id(session, "P017")
    marker = (await person(session, "S03")).id
    days: dict[date, list[tuple[str, str | None]]] = {
        BUSY_DAY: [("absent", "unexcused"), ("absent", None), ("late", None)],  # «1Н 1ОТ 1ОП»
        BUSY_DAY.replace(day=20): [("absent", "illness"), ("absent", "excused")],  # «1Б 1У»
    }
    for on, marks in days.items():
        lessons = sorted(
            (x for x in known.lessons if x.on_date == on and x.subgroup is None), key=lambda x: x.lesson_no
        )
        assert len(lessons) >= len(marks)
        for lesson, (mark, reason) in zip(lessons, marks, strict=False):
            session.add(
                Attendance(
                    lesson_id=lesson.id, student_id=sid, mark=mark, marked_by=marker, marked_at=MONDAY, reason=reason
                )
            )
    await session.commit()
    return sid


def _xlsx_marks(content: bytes) -> list[str]:
    """Every mark of the day columns, as the spreadsheet shows it: 2 with the format 0"Б" is «2Б»."""
    ws = sheet_of(content)
    marks = []
    for row in ws.iter_rows():
        for cell in row[2 : 2 + DAYS]:
            if isinstance(cell.value, int) and cell.number_format.startswith('0"'):
                marks.append(f"{cell.value}{cell.number_format.split(chr(34))[1]}")
            elif isinstance(cell.value, int) and cell.number_format.startswith('"'):  # a day of several marks
                marks += cell.number_format.strip('"').split()
            else:
                assert not isinstance(cell.value, str) or not MARK.search(cell.value), "a mark kept as text"
    return marks


async def test_every_mark_of_the_xlsx_prints_in_the_pdf(known: Known, session: AsyncSession) -> None:
    """A day of several marks is not cut in the PDF («1Б 1Н» printed «1Б», a late «1О»): each prints whole."""
    await _busy_day(session, known)
    sheet = await attendance.class_sheet(session, await act_as(session, "S01"), known.class_id, NOVEMBER)
    in_xlsx = _xlsx_marks(render(attendance_sheet.document([sheet], "ru"), Format.XLSX)[0])
    assert {"1Б", "1У", "1Н", "1ОТ", "1ОП"} <= set(in_xlsx), in_xlsx
    # A day of several marks is still a number: the lessons missed, the late not among them.
    busy = next(
        r
        for r in sheet_of(render(attendance_sheet.document([sheet], "ru"), Format.XLSX)[0]).iter_rows()
        if r[1].value == "Никитин Лев"
    )
    assert busy[1 + BUSY_DAY.day].value == 2 and busy[1 + BUSY_DAY.day].number_format == '"1Н 1ОТ 1ОП"'
    content = render(attendance_sheet.document([sheet], "ru"), Format.PDF)[0]
    words = [w for page in PdfReader(io.BytesIO(content)).pages for w in page.extract_text().split()]
    in_pdf = [w for w in words if MARK.fullmatch(w)]
    assert Counter(in_pdf) == Counter(in_xlsx)
    assert "1О" not in words, "a late is «1ОП», never cut to «1О»"


async def test_share_reads_on_the_side_of_the_threshold_it_is(known: Known, session: AsyncSession) -> None:
    """29,7 % is not shown as «30 %» beside «nobody reached 30 %»; percents round halves up."""
    from views.documents.words import percent_text

    sheet = await attendance.class_sheet(session, await act_as(session, "S01"), known.class_id, NOVEMBER)
    row = next(r for r in sheet.rows if r.pupil.student_id == known.truant)
    row.lessons_due, row.lessons_missed = 37, Counter(unexcused=11)  # 29,73 %
    assert not row.flagged
    content = render(attendance_sheet.document([sheet], "ru"), Format.XLSX)[0]
    cells = next(r for r in sheet_of(content).iter_rows() if r[1].value == row.pupil.name)
    assert cells[SHARE].number_format == "0.0%"  # Excel too shows 29,7 %, not 30 %
    text = pdf_text(render(attendance_sheet.document([sheet], "ru"), Format.PDF)[0])
    assert "29,7\xa0%" in text and re.search(r"30\s%", text)  # the student's, and the threshold in the notes
    assert not re.search(r"Петров Андрей.*\b30\s%", text)
    assert percent_text(0.125, "ru") == "13\xa0%" and percent_text(0.135, "ru") == "14\xa0%"
    assert percent_text(0.3, "ru") == "30\xa0%" and percent_text(0.125, "en") == "13%"


async def test_pdf_headings_break_at_spaces_only(known: Known, session: AsyncSession) -> None:
    """«Пропущено дней» and «Доля пропусков» were broken mid-word («Пропущен|о»)."""
    sheet = await attendance.class_sheet(session, await act_as(session, "S01"), known.class_id, NOVEMBER)
    text = pdf_text(render(attendance_sheet.document([sheet], "ru"), Format.PDF)[0])
    words = set(text.split())
    for whole in ("Пропущено", "пропусков", "Опозданий"):
        assert any(w.startswith(whole) for w in words) or whole in text, whole
    for broken in ("Пропущен", "пропуско", "Опоздани"):
        assert broken not in words


async def test_whole_school_file_holds_each_classes_own_figures(known: Known, session: AsyncSession) -> None:
    """Two classes with lessons: a sheet (XLSX) and a page (PDF) each, every figure its own class's."""
    from sqlalchemy import select

    from models import SchoolClass
    from services.lessons import lessons_of_class

    c7b = await session.scalar(select(SchoolClass).where(SchoolClass.external_id == "C7B"))
    assert c7b is not None
    zaitsev = await student_id(session, "P031")
    held = [x for x in await lessons_of_class(session, c7b, BUSY_DAY) if x.subgroup in (None, "1")]
    assert held
    marker = (await person(session, "S01")).id
    for lesson in held:
        session.add(
            Attendance(
                lesson_id=lesson.id,
                student_id=zaitsev,
                mark="absent",
                marked_by=marker,
                marked_at=MONDAY,
                reason="illness",
            )
        )
    await session.commit()
    sheets = await attendance.school_sheets(session, await act_as(session, "S01"), None, NOVEMBER)
    assert [s.class_name for s in sheets] == ["5А", "7Б"]
    content, name = render(attendance_sheet.document(sheets, "ru"), Format.XLSX)
    assert name == "Табель посещаемости вся школа 2026-11.xlsx"
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["5А", "7Б"]
    seventh = next(r for r in book["7Б"].iter_rows() if r[1].value == "Зайцев Тимофей")
    assert seventh[1 + BUSY_DAY.day].value == len(held) and seventh[1 + BUSY_DAY.day].number_format == '0"Б"'
    assert [c.value for c in seventh[TOTAL : TOTAL + 2]] == [len(held), len(held)]
    assert [c.value for c in seventh[TOTAL + 6 : TOTAL + 8]] == [1, 1]  # a whole day, ill
    fifth = next(r for r in book["5А"].iter_rows() if r[1].value == "Алексеев Матвей")
    assert fifth[TOTAL].value == known.due(known.ill, "1", ILL_DAYS)
    assert not any(r[1].value == "Зайцев Тимофей" for r in book["5А"].iter_rows())
    pages = [
        p.extract_text()
        for p in PdfReader(io.BytesIO(render(attendance_sheet.document(sheets, "ru"), Format.PDF)[0])).pages
    ]
    page_7b = next(p for p in pages if "Класс: 7Б" in p)
    assert "Зайцев Тимофей" in page_7b and "Алексеев Матвей" not in page_7b
    assert f"Пропущено уроков: {len(held)} (по болезни {len(held)}" in page_7b
