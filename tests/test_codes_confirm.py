"""/codes in the bot: whom for (an administrator picks a class, the staff or the whole school), how many
get codes, and whether the earlier ones stay valid, before anything is issued; a whole school's
sheet comes class by class, then the staff; a class teacher keeps to the own class's families."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.codes import CodesCb, CodesOp, Whom
from models import LinkCode, SchoolClass
from tests.conftest import BotHarness
from tests.support.bot import link, press
from tests.support.journal import freeze, person
from tests.test_coverage import labels, shown

ISSUE, REPLACE = "Выдать (выданные раньше тоже действуют)", "Выдать и отменить выданные раньше"


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


async def count_codes(session: AsyncSession) -> int:
    session.expire_all()
    return await session.scalar(select(func.count()).select_from(LinkCode)) or 0


async def test_an_administrator_picks_whom_and_confirms(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S01", 9301)  # the school's administrator
    before = await count_codes(session)
    (choice,) = await emu.say(9301, "/codes")
    assert choice["text"].startswith("Коды подключения — для кого?")
    assert labels(choice) == ["1А", "5А", "7Б", "9В", "👥 Сотрудники", "🏫 Вся школа"]
    assert await count_codes(session) == before, "nothing is issued before the choice"

    await emu.click(9301, choice, "👥 Сотрудники")
    question = shown(emu, 9301, choice["message_id"])
    assert question["text"].startswith("Коды подключения для сотрудников\n8 человек ещё не подключились")
    assert labels(question) == [ISSUE, REPLACE, "◀ назад"]
    assert await count_codes(session) == before
    replies = await emu.click(9301, question, ISSUE)
    staff_codes = list(await session.scalars(select(LinkCode).where(LinkCode.id > before)))
    assert len(staff_codes) == 8 and {c.scope for c in staff_codes} == {"staff"}
    assert "Рябов Павел Олегович (учитель): " in replies[0]["text"]

    done = shown(emu, 9301, choice["message_id"])
    assert done["text"] == "Выдано 8 кодов — см. ниже."
    await emu.click(9301, done, "◀ назад")
    again = shown(emu, 9301, choice["message_id"])
    await emu.click(9301, again, "🏫 Вся школа")
    question = shown(emu, 9301, choice["message_id"])
    assert question["text"].startswith("Коды подключения для всей школы\n")
    assert "У 8 из них уже есть действующие коды, выданные раньше (всего таких кодов: 8)." in question["text"]
    replies = await emu.click(9301, question, ISSUE)
    assert "кодов — в файлах ниже" in replies[0]["text"]
    sheet = next(r["document"] for r in replies if r.get("document", {}).get("file_name", "").endswith(".pdf"))
    reader = PdfReader(io.BytesIO(emu.files[sheet["file_id"]].content))
    headings = [page.extract_text().splitlines()[0] for page in reader.pages]
    groups = [heading.split(" · ")[0] for heading in headings]
    assert list(dict.fromkeys(groups)) == ["1А", "5А", "7Б", "9В", "Сотрудники"], headings
    assert headings[:4] == ["1А · 1/4", "1А · 2/4", "1А · 3/4", "1А · 4/4"], "each class starts a page of its own"
    for page, group in zip(reader.pages, groups, strict=True):
        if group != "Сотрудники":
            body = " ".join(page.extract_text().split())
            assert body.count(f", {group}") >= body.count("/start"), "a class's pages hold that class's slips"


async def test_a_class_teacher_keeps_to_the_own_class(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S03", 9302, "en")  # the class teacher of 5А
    before = await count_codes(session)
    (question,) = await emu.say(9302, "/codes")
    assert question["text"] == (
        "Link codes for 5А\n31 people have not linked an account yet and get a code each.\n"
        "Codes handed out earlier keep working until one of them is used, unless you cancel them."
    )
    assert labels(question) == ["Issue (the earlier ones still work)", "Issue and cancel the earlier ones"]
    assert await count_codes(session) == before
    replies = await emu.click(9302, question, "Issue (the earlier ones still work)")
    assert "Васильева Ульяна Николаевна (student, 5А): " in replies[0]["text"]
    assert await count_codes(session) == before + 31

    (refused,) = await emu.say(9302, "/codes 7Б")
    assert refused["text"] == "You can issue codes only for the students and parents of your own class."
    seven_b = await session.scalar(select(SchoolClass.id).where(SchoolClass.name == "7Б"))
    assert seven_b is not None
    forged = [
        (CodesCb(op=CodesOp.ASK, whom=Whom.STAFF), "Staff get their codes from the school administrator."),
        (CodesCb(op=CodesOp.ISSUE, whom=Whom.STAFF), "Staff get their codes from the school administrator."),
        (
            CodesCb(op=CodesOp.REPLACE, whom=Whom.CLASS, cls=seven_b),
            "You can issue codes only for the students and parents of your own class.",
        ),
        (CodesCb(op=CodesOp.CHOOSE), None),  # a list of the own class only, harmless
    ]
    for data, refusal in forged:
        await press(emu, 9302, data.pack())
        if refusal is not None:
            assert emu.callback_answers[-1]["text"] == refusal, data
    assert await count_codes(session) == before + 31
    tutor = await person(session, "S03")
    scopes = await session.scalars(select(LinkCode.scope).where(LinkCode.issued_by == tutor.id))
    assert set(scopes) == {"family"}, "a class teacher's codes link the family side only"


async def test_codes_are_refused_to_a_teacher_and_a_family(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S07", 9303, "en")
    assert (await emu.say(9303, "/codes"))[0]["text"] == "This command is not available for your role."
    await press(emu, 9303, CodesCb(op=CodesOp.ASK, whom=Whom.SCHOOL).pack())
    assert emu.callback_answers[-1]["text"] == "This command is not available for your role."
    await link(session, emu, "R015", 9304, "en")
    assert (await emu.say(9304, "/codes all"))[0]["text"] == "This command is not available for your role."
