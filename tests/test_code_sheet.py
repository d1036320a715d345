"""Code sheets: an A4 PDF of slips whose text and QR codes carry the very codes the database holds."""

import asyncio
import io
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import LinkCode, Person
from models.db import make_engine, make_sessionmaker
from services.link_codes import IssuedCode, hash_code
from services.roles import Role
from tests.conftest import DEMO, BotHarness
from tests.support.bot import link
from tests.test_cli import env, invoke  # noqa: F401  (the command line's fixture)
from views.documents.code_sheet import Sheet, code_sheet, sheet_title, whose_line

LINK = "https://t.me/diary_demo_bot?start="
ISSUE = "Выдать (выданные раньше тоже действуют)"


def printed_codes(text: str) -> list[str]:
    """The codes a sheet prints after /start (a no-break space and no-break hyphens keep each whole)."""
    found = re.findall(r"/start\s+([0-9A-Z][0-9A-Z\u2011-]+[0-9A-Z])", text)
    return [code.replace("\u2011", "-") for code in found]


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def qr_links(pdf: Path, page: int = 1) -> list[str]:
    """The QR codes of a page, read back from the page as printed (150 dpi)."""
    prefix = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", str(page), "-l", str(page), str(pdf), str(prefix)],
        check=True,
        timeout=60,
    )
    (png,) = pdf.parent.glob(f"{prefix.name}*.png")
    found = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, timeout=60)
    png.unlink()
    return found.stdout.split()


async def stored_codes(url: str) -> dict[str, tuple[str, bool]]:
    """code hash -> (the person's full name, still usable)."""
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(LinkCode.code_hash, Person.last_name, Person.first_name, LinkCode.revoked_at).join(
                Person, Person.id == LinkCode.person_id
            )
        )
        found = {h: (f"{last} {first}", revoked is None) for h, last, first, revoked in rows}
    await engine.dispose()
    return found


def test_a_parents_slip_names_the_child() -> None:
    parent = IssuedCode(1, "Павлова Елизавета", (Role.PARENT,), "5А, 1А", "X", ("Павлова Елизавета, 5А",), "Лицей")
    student = IssuedCode(2, "Петров Андрей", (Role.STUDENT,), "5А", "Y", (), "Лицей", "m")
    assert whose_line(parent, "ru") == "родитель · ребёнок: Павлова Елизавета, 5А"
    two = IssuedCode(3, "Павлова Ольга", (Role.PARENT,), "1А, 5А", "Z", ("Павлова Софья, 1А", "Павлова Елизавета, 5А"))
    assert whose_line(two, "ru") == "родитель · дети: Павлова Софья, 1А; Павлова Елизавета, 5А"
    assert whose_line(two, "en") == "parent · children: Павлова Софья, 1А; Павлова Елизавета, 5А"
    assert sheet_title([parent, student], "ru") == "Коды 5А"
    assert sheet_title([student, IssuedCode(4, "Б", (Role.STUDENT,), "7Б", "W")], "ru") == "Коды подключения"
    assert whose_line(student, "ru") == "ученик, 5А"


def test_a_girl_is_a_schoolgirl_on_her_slip() -> None:
    """The everyday word in the student's gender, as /coverage's «Ученики»; unknown: the common «ученик»."""
    girl = IssuedCode(5, "Васильева Ульяна Николаевна", (Role.STUDENT,), "5А", "V", (), "Лицей", "f")
    unknown = IssuedCode(6, "Ли Саша", (Role.STUDENT,), "5А", "U", (), "Лицей", None)
    assert whose_line(girl, "ru") == "ученица, 5А" and whose_line(unknown, "ru") == "ученик, 5А"
    assert whose_line(girl, "en") == "student, 5А"


def test_command_line_sheet_matches_the_database(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert invoke("import", str(DEMO)).exit_code == 0
    first = invoke("codes", "--class", "5А", "--format", "csv")
    assert first.exit_code == 0
    sheet = tmp_path / "5a.pdf"
    result = invoke("codes", "--class", "5А", "--format", "pdf", "-o", str(sheet), "--bot-username", "@diary_demo_bot")
    assert result.exit_code == 0, result.output
    assert "31 полоска записана" in result.output
    pages, text = pdf_text(sheet.read_bytes())
    assert pages == 4  # 31 slips, eight a page
    stored = asyncio.run(stored_codes(env["DATABASE_URL"]))
    printed = printed_codes(text)
    assert len(printed) == 31
    for code in printed:
        name, usable = stored[hash_code(code)]
        assert usable and name.split()[0] in text
    assert text.count("МБОУ «Лицей № 1»") == 31
    flat = " ".join(text.split())
    assert "родитель · дети: Павлова Софья, 1А; Павлова Елизавета, 5А" in flat, "the children named as the children"
    assert "Васильева Ульяна Николаевна ученица, 5А" in flat, "a girl is «ученица»"
    links = qr_links(sheet)
    assert len(links) == 8 and all(link.startswith(LINK) for link in links)
    assert {link.removeprefix(LINK) for link in links} <= set(printed), "each QR code is its slip's code"
    # the CSV's codes handed out before the sheet still work: nothing was cancelled without asking
    assert sum(usable for _name, usable in stored.values()) == 62


def test_replace_cancels_the_earlier_codes_on_purpose(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert invoke("import", str(DEMO)).exit_code == 0
    assert invoke("codes", "--class", "5А").exit_code == 0
    sheet = tmp_path / "again.pdf"
    args = ("codes", "--class", "5А", "--format", "pdf", "-o", str(sheet), "--bot-username", "diary_demo_bot")
    assert invoke(*args, "--replace").exit_code == 0
    stored = asyncio.run(stored_codes(env["DATABASE_URL"]))
    assert len(stored) == 62 and sum(usable for _n, usable in stored.values()) == 31


def test_bad_sheet_requests_change_nothing(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert invoke("import", str(DEMO)).exit_code == 0
    no_file = invoke("codes", "--class", "5А", "--format", "pdf", "--bot-username", "diary_demo_bot")
    assert no_file.exit_code == 2 and "укажите -o ПУТЬ" in no_file.output
    no_name = invoke("codes", "--class", "5А", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert no_name.exit_code == 2 and "--bot-username" in no_name.output  # no BOT_TOKEN to ask Telegram with
    wrong = invoke("codes", "--class", "5А", "--format", "docx")
    assert wrong.exit_code == 2 and "text, csv или pdf" in wrong.output
    assert asyncio.run(stored_codes(env["DATABASE_URL"])) == {}
    assert not (tmp_path / "x.pdf").exists()


def test_embedded_qr_code_is_the_link(tmp_path: Path) -> None:
    slips = [IssuedCode(n, f"Ученик {n}", (Role.STUDENT,), "5А", f"AAAAA-BBBBB-CCCC{n}", (), "Лицей") for n in (2, 3)]
    pdf = tmp_path / "s.pdf"
    from datetime import date

    pdf.write_bytes(code_sheet(slips, Sheet("diary_demo_bot", date(2026, 12, 23), "en")))
    assert sorted(qr_links(pdf)) == [LINK + "AAAAA-BBBBB-CCCC2", LINK + "AAAAA-BBBBB-CCCC3"]
    _pages, text = pdf_text(pdf.read_bytes())
    flat = " ".join(text.split())
    assert "The code works once, until 23 December" in flat
    # The camera's way, then typing the code: whoever types it is not sent to look for Start first.
    assert flat.index("Scan the QR code with the phone's camera: Telegram opens the bot, press Start.") < flat.index(
        "Or find @diary_demo_bot in Telegram and send: /start"
    )


async def test_tutor_gets_the_sheet_in_the_bot(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(
        session,
        emu,
        "S04",
        9101,
        "ru",
    )  # class teacher of 7Б
    (question,) = await emu.say(9101, "/codes")
    replies = await emu.click(9101, question, ISSUE)
    sheets = [r["document"] for r in replies if r.get("document", {}).get("file_name") == "Коды 7Б.pdf"]
    assert len(sheets) == 1
    data = emu.files[sheets[0]["file_id"]].content
    pages, text = pdf_text(data)
    assert pages == 4 and "7Б" in text and "Наведите камеру телефона на QR-код" in text
    hashes = {hash_code(code) for code in printed_codes(text)}
    usable = await session.scalar(
        select(func.count()).where(
            LinkCode.code_hash.in_(hashes), LinkCode.revoked_at.is_(None), LinkCode.used_at.is_(None)
        )
    )
    assert len(hashes) == 30 and usable == 30


@pytest.mark.parametrize("bad", ["", "bad name!"])
def test_a_wrong_username_is_refused(env: dict[str, str], tmp_path: Path, bad: str) -> None:  # noqa: F811
    assert invoke("import", str(DEMO)).exit_code == 0
    result = invoke("codes", "--class", "5А", "--format", "pdf", "-o", str(tmp_path / "y.pdf"), "--bot-username", bad)
    assert result.exit_code == 2


def test_a_sheet_that_cannot_be_written_issues_nothing(env: dict[str, str]) -> None:  # noqa: F811
    """-o into a folder that is not there: one translated line, exit 2, before a single code is issued."""
    assert invoke("import", str(DEMO)).exit_code == 0
    args = ("codes", "--class", "9В", "--format", "pdf", "--bot-username", "diary_demo_bot")
    result = invoke(*args, "-o", "/nonexistent/n.pdf")
    assert result.exit_code == 2 and result.output.strip() == (
        "Не удаётся записать /nonexistent/n.pdf: папки /nonexistent нет. Укажите в -o существующую папку."
    )
    assert asyncio.run(stored_codes(env["DATABASE_URL"])) == {}, "no code issued for nobody"


def test_a_malformed_username_is_named_as_such(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    assert invoke("import", str(DEMO)).exit_code == 0
    for bad in ("@bad name!", "ab", "школа_бот"):
        result = invoke(
            "codes", "--class", "5А", "--format", "pdf", "-o", str(tmp_path / "y.pdf"), "--bot-username", bad
        )
        assert result.exit_code == 2 and "не имя пользователя в Telegram" in result.output, bad
    assert asyncio.run(stored_codes(env["DATABASE_URL"])) == {}
    folder = tmp_path / "sheets"
    folder.mkdir()
    result = invoke("codes", "--class", "5А", "--format", "pdf", "-o", str(folder), "--bot-username", "@diary_demo_bot")
    assert result.exit_code == 0 and (folder / "Коды 5А.pdf").exists(), "a folder gets the sheet by its class"
