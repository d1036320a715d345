"""/reports through the real dispatcher: a couple of taps to a file, "making it…" first, refusals as pop-ups."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.reports import Fmt, Kind, ReportCb
from models import Person, SchoolClass
from tests.conftest import BotHarness
from tests.support.bot import link, press
from tests.support.journal import MONDAY, freeze, person
from tests.test_flow_journal import Taps
from tests.test_reports_data import ILL_DAYS, Known, november, pdf_text, sheet_of


@pytest.fixture
async def known(demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> Known:
    freeze(monkeypatch)
    return await november(session)


def labels(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


def file_of(harness: BotHarness, message: dict) -> bytes:
    return harness.emu.files[message["document"]["file_id"]].content


async def test_class_teacher_gets_the_sheet_in_two_taps(
    known: Known, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 3001)  # 5А's class teacher, who teaches mathematics too
    menu = (await emu.say(3001, "/reports"))[0]
    assert menu["text"] == "Какой отчёт? Он придёт файлом, PDF или XLSX."
    assert labels(menu) == ["📅 Табель посещаемости", "📊 Сводная ведомость успеваемости", "🎓 Табель успеваемости"]
    taps = Taps(emu, 3001)
    months = await taps.tap(menu, "📅")  # the only class is chosen at once
    assert months["text"] == "Табель посещаемости, 5А: выберите месяц и формат."
    assert labels(months)[:2] == ["Ноябрь 2026 · PDF", "XLSX"]
    assert all(len(row) == 2 for row in months["reply_markup"]["inline_keyboard"][:-1]), "a month and its XLSX"
    sent = await taps.tap(months, "Ноябрь 2026 · PDF")
    assert sent["document"]["file_name"] == "Табель посещаемости 5А 2026-11.pdf"
    assert labels(months)[-1] == "◀ отчёты", "one class: its list was skipped, so back goes to the reports"
    assert sent["caption"] == "Табель посещаемости — Класс: 5А · Месяц: ноябрь 2026"
    assert "has_protected_content" not in sent  # staff print it
    assert "Алексеев Матвей" in pdf_text(file_of(harness, sent))
    chat = emu.chats[3001]
    assert len(chat.deleted) == 1, "the making-it message was shown, then taken away"
    sent = await taps.tap(months, "XLSX")
    row = next(r for r in sheet_of(file_of(harness, sent)).iter_rows() if r[1].value == "Алексеев Матвей")
    assert row[2 + 30].value == known.due(known.ill, "1", ILL_DAYS)


async def test_statement_by_class_and_period(known: Known, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S01", 3003)  # the administrator: every class
    taps = Taps(emu, 3003)
    classes = await taps.tap((await emu.say(3003, "/reports"))[0], "📊")
    assert labels(classes)[:4] == ["5А", "7Б", "9В", "🏫 Вся школа"]  # graded classes only: no 1А…
    assert [len(row) for row in classes["reply_markup"]["inline_keyboard"]] == [3, 1, 1], "the school on its own row"
    assert classes["text"].endswith(
        "1А: отметки там не ставятся, поэтому сводной ведомости и табелей успеваемости нет."
    )
    periods = await taps.tap(classes, "5А")
    assert periods["text"] == "Сводная ведомость, 5А: выберите период и формат."
    rows = periods["reply_markup"]["inline_keyboard"]
    assert [len(row) for row in rows] == [2] * (len(rows) - 1) + [1], "each period with its XLSX, then ◀"
    sent = await taps.tap(periods, "2 четверть · PDF")
    assert sent["document"]["file_name"] == "Сводная ведомость 5А 2 четверть.pdf"
    text = pdf_text(file_of(harness, sent))
    assert "Имеют «2» или не аттестованы: Петров Андрей" in text
    assert "Классный руководитель ______________________ / Соколова Е. В." in text


async def test_administrator_gets_the_whole_schools_sheets(
    known: Known, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S01", 3003)
    taps = Taps(emu, 3003)
    classes = await taps.tap((await emu.say(3003, "/reports"))[0], "📅")
    months = await taps.tap(classes, "🏫 Вся школа")
    assert months["text"] == "Табель посещаемости, вся школа: выберите месяц и формат."
    sent = await taps.tap(months, "XLSX")
    # Only 5А has lessons in this journal: the school's file holds its sheet alone, and is named for it.
    assert sent["document"]["file_name"] == "Табель посещаемости 5А 2026-11.xlsx"
    assert sheet_of(file_of(harness, sent)).title == "5А"
    assert labels(months)[-1] == "◀ классы"


async def test_family_gets_their_childs_card(known: Known, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    mother = await person(session, "R019")
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await link(session, emu, "R019", 3002)
    periods = (await emu.say(3002, "/reports"))[0]  # one report, one child: the periods at once
    assert periods["text"] == "Табель успеваемости: Матвей Алексеев, 5А — выберите период и формат."
    assert not any(label.startswith("◀") for label in labels(periods)), "no way back to a menu of one item"
    sent = await Taps(emu, 3002).tap(periods, "Год · PDF")
    assert sent["has_protected_content"] is True  # the child's diary is not forwarded
    text = pdf_text(file_of(harness, sent))
    assert "Ученик: Алексеев Матвей, класс 5А" in text and "Учебный год: 2026/2027" in text
    assert sent["document"]["file_name"] == "Табель успеваемости Алексеев Матвей 2026-2027.pdf"


async def test_forged_press_for_another_class_is_refused(
    known: Known, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 3001)
    await emu.say(3001, "/reports")
    other = await session.scalar(select(SchoolClass.id).where(SchoolClass.external_id == "C7B"))
    assert other is not None
    before = len(emu.bot_messages(3001))
    await press(emu, 3001, ReportCb(kind=Kind.ATTENDANCE, cls=other, month=202611, fmt=Fmt.PDF).pack())
    assert emu.callback_answers[-1]["text"] == (
        "Отчёты по классу получают его классный руководитель и администрация школы."
    )
    assert not any("document" in m for m in emu.bot_messages(3001)[before:])
    await press(emu, 3001, "rp:att:1:0:202613:0:pdf")  # not a month: the button is stale or forged
    assert not any("document" in m for m in emu.bot_messages(3001)[before:])
    # The whole school's sheets, pressed by a class teacher: the administration's only.
    for kind, field in ((Kind.ATTENDANCE, {"month": 202611}), (Kind.PROGRESS, {"period": known.q2})):
        await press(emu, 3001, ReportCb(kind=kind, school=True, fmt=Fmt.XLSX, **field).pack())
        assert emu.callback_answers[-1]["text"] == "Эта команда недоступна для вашей роли."
    assert not any("document" in m for m in emu.bot_messages(3001)[before:])


async def test_parent_of_a_first_grader_and_a_fifth_grader(
    known: Known, session: AsyncSession, harness: BotHarness
) -> None:
    """R015: a child in 1А (no grades) and one in 5А. The 5А child is named; the 1А child is said to have no
    card instead of missing without a word."""
    emu = harness.emu
    parent = await person(session, "R015")
    await session.execute(update(Person).where(Person.id == parent.id).values(consent_at=MONDAY))
    await link(session, emu, "R015", 3004)
    periods = (await emu.say(3004, "/reports"))[0]
    first, *rest = periods["text"].split("\n\n")
    assert first.startswith("Табель успеваемости: ") and first.endswith(", 5А — выберите период и формат.")
    assert rest and rest[0].endswith(
        "(1А): табеля успеваемости нет — в первом классе отметки не ставятся, ведётся только учёт посещаемости."
    )
    assert "§" not in periods["text"] and "п." not in periods["text"], "no clause numbers for a family"
    assert not any(label.startswith("◀") for label in labels(periods))
    sent = await Taps(emu, 3004).tap(periods, "2 четверть · PDF")
    assert sent["document"]["file_name"].startswith("Табель успеваемости ")


async def test_back_goes_one_step_and_a_word_after_the_command_is_answered(
    known: Known, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S01", 3005)  # the administrator: every class
    taps = Taps(emu, 3005)
    menu = (await emu.say(3005, "/reports 7Б"))[0]
    assert menu["text"].startswith("После /reports ничего писать не нужно («7Б» не учтено)")
    classes = await taps.tap(menu, "📅")
    months = await taps.tap(classes, "5А")
    assert labels(months)[-1] == "◀ классы"
    again = await taps.tap(months, "◀ классы")
    assert again["text"] == "Табель посещаемости: выберите класс."
