"""Coverage: who of the families the bot reaches, for a class teacher and the administrator, in the
bot and at the command line, with new codes for those not linked in one tap."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import LinkCode, Notification, Person, School, SchoolClass, Student, SummaryRun, TelegramAccount
from services import coverage
from services.errors import NotAllowed
from services.push_kinds import PushKind
from services.roles import Scope, Viewer
from tests.conftest import DEMO, BotHarness
from tests.support.bot import consent, link
from tests.support.journal import MONDAY, act_as, freeze, person, student_id
from tests.test_cli import env, invoke  # noqa: F401  (the command line's fixture)

WEEK = date(2026, 11, 16)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


async def reach_5a(session: AsyncSession, harness: BotHarness) -> None:
    """In 5А: P016 and her mother R015 linked and consented, the mother read last week's summary;
    P017 linked without consent and has blocked the bot; R016 linked as staff only (not the family)."""
    emu = harness.emu
    await link(session, emu, "P016", 9201)
    await link(session, emu, "R015", 9202)
    await link(session, emu, "P017", 9203)
    await consent(session, "P016", "R015")
    p017 = await person(session, "P017")
    await session.execute(update(TelegramAccount).where(TelegramAccount.person_id == p017.id).values(blocked_at=MONDAY))
    school = await session.scalar(select(School.id))
    assert school is not None
    session.add(SummaryRun(school_id=school, week_start=WEEK, queued=2))
    mother, child = await person(session, "R015"), await student_id(session, "P016")
    for pid, seen in ((mother.id, MONDAY), ((await person(session, "P016")).id, None)):
        key = f"summary:{WEEK.isoformat()}:s{child}:p{pid}"
        session.add(
            Notification(
                person_id=pid,
                category="summaries",
                kind=PushKind.WEEKLY_SUMMARY,
                lane="bulk",
                payload={},
                dedup_key=key,
                topic=key,
                status="sent",
                due_at=MONDAY,
                seen_at=seen,
            )
        )
    await session.commit()


async def test_class_teacher_sees_own_class(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    await reach_5a(session, harness)
    tutor = await act_as(session, "S03")  # class teacher of 5А
    (cov,) = await coverage.coverage(session, tutor)
    assert [c.name for c in cov.classes] == ["5А"] and cov.summary_week == WEEK
    (c,) = cov.classes
    students = (len(c.students.everyone), len(c.students.linked), len(c.students.consented))
    assert students == (15, 2, 1)
    assert (len(c.students.reachable), len(c.students.read)) == (1, 0)
    parents = [len(x) for x in (c.parents.everyone, c.parents.linked, c.parents.consented, c.parents.read)]
    assert parents == [16, 1, 1, 1]
    names = {u.name for u in c.unlinked}
    assert "Павлова Елизавета" not in names and "Никитин Лев" not in names and len(c.unlinked) == 28
    other = await session.scalar(select(SchoolClass.id).where(SchoolClass.name == "7Б"))
    assert other is not None
    with pytest.raises(NotAllowed):
        await coverage.coverage(session, tutor, class_id=other)
    with pytest.raises(NotAllowed):
        await coverage.coverage(session, await act_as(session, "S07"))  # a subject teacher only


async def test_administrator_sees_every_class_and_distinct_parents(demo: None, session: AsyncSession) -> None:
    (cov,) = await coverage.coverage(session, await act_as(session, "S01"))
    assert [c.name for c in cov.classes] == ["1А", "5А", "7Б", "9В"]
    # R015 is the parent of a child in 1А and one in 5А: once in the school's total
    assert sum(len(c.parents.everyone) for c in cov.classes) == len(cov.parents.everyone) + 1
    assert len(cov.students.everyone) == 60 and cov.summary_week is None
    (everything,) = await coverage.coverage(session, Viewer.command_line(), school_ref="L1")
    assert len(everything.classes) == 4


async def test_tutor_in_the_bot_reissues_codes(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await reach_5a(session, harness)
    await link(session, emu, "S03", 9204)
    (screen,) = await emu.say(9204, "/coverage")
    text = screen["text"]
    assert text.startswith("5А: охват бота\nПоследняя недельная сводка: неделя с 16 ноября.")
    assert "Ученики: 15 — подключены 2 (13\xa0%), дали согласие 1, доступны 1, прочитали последнюю сводку 0" in text
    assert "Родители: 16 — подключены 1 (6\xa0%), дали согласие 1, доступны 1, прочитали последнюю сводку 1" in text
    assert "Не подключены (28 человек):" in text and "Петров Андрей" in text
    assert "Алексеева Мария — родитель; ребёнок: Алексеев Матвей, 5А" in text, "the child is named as the child"
    assert "(родитель: " not in text
    before = len(list(await session.scalars(select(LinkCode))))
    replies = await emu.click(9204, screen, "🔑 Новые коды для неподключённых")
    assert replies[0]["text"].startswith("Новые коды подключения, действуют 30 дней")
    files = [r["document"]["file_name"] for r in replies if "document" in r]
    assert files == ["Коды 5А.pdf", "Коды 5А.csv"]
    table = next(r for r in replies if r.get("document", {}).get("file_name") == "Коды 5А.csv")
    rows = list(csv.reader(io.StringIO(emu.files[table["document"]["file_id"]].content.decode("utf-8-sig"))))
    assert rows[0] == ["Человек", "Роль", "Класс", "Ребёнок", "Код", "Ссылка"]
    mother = next(r for r in rows if r[0].startswith("Алексеева Мария"))
    assert mother[2] == "5А" and mother[3] == "Алексеев Матвей, 5А", "the class column holds classes only"
    session.expire_all()
    fresh = list(await session.scalars(select(LinkCode).where(LinkCode.issued_by == (await person(session, "S03")).id)))
    assert len(fresh) == 28 and all(c.scope == Scope.FAMILY for c in fresh)
    assert len(list(await session.scalars(select(LinkCode)))) == before + 28


async def test_admin_in_the_bot_goes_class_by_class(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    await link(session, emu, "S01", 9205, "en")
    (screen,) = await emu.say(9205, "/coverage")
    assert screen["text"].startswith("Reach of the bot: МБОУ «Лицей № 1»\nNo weekly summary has been sent yet.")
    assert "9В: 0 of 15 · 0 of 15 · not linked 30" in screen["text"]
    await emu.click(9205, screen, "9В")  # the screen is edited in place
    detail = emu.last(9205)
    assert detail["text"].startswith("9В: reach of the bot") and "Not linked (30 people):" in detail["text"]
    await emu.click(9205, detail, "◀ all classes")
    back = emu.last(9205)
    assert back["text"].startswith("Reach of the bot")


async def test_coverage_is_refused_to_families_and_teachers(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S07", 9206, "en")
    assert (await emu.say(9206, "/coverage"))[0]["text"] == "This command is not available for your role."
    await link(session, emu, "R015", 9207, "en")
    assert (await emu.say(9207, "/coverage"))[0]["text"] == "This command is not available for your role."
    await link(session, emu, "S04", 9208, "en")  # the class teacher of 7Б presses a forged button for 5А
    own_class = await session.scalar(select(SchoolClass.id).where(SchoolClass.name == "5А"))
    from handlers.coverage import CoverageCb, CoverageOp
    from tests.support.bot import press

    codes_before = len(list(await session.scalars(select(LinkCode))))
    await emu.say(9208, "/coverage")
    await press(emu, 9208, CoverageCb(op=CoverageOp.CODES, cls=own_class or 0).pack())
    assert "their own class only" in emu.callback_answers[-1]["text"]
    assert len(list(await session.scalars(select(LinkCode)))) == codes_before


def test_command_line_prints_the_school(env: dict[str, str]) -> None:  # noqa: F811
    assert invoke("import", str(DEMO)).exit_code == 0
    result = invoke("coverage")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Охват бота: МБОУ «Лицей № 1»\nНедельных сводок ещё не было.")
    for name in ("1А: охват бота", "9В: охват бота", "Не подключены (31 человек):", "Лебедев Илья"):
        assert name in result.output
    missing = invoke("coverage", "--school", "L9")
    assert missing.exit_code == 1 and "L9" in missing.output


async def test_student_count_matches_the_roster(demo: None, session: AsyncSession) -> None:
    (cov,) = await coverage.coverage(session, await act_as(session, "S01"))
    active = await session.scalars(
        select(Student.id).join(Person, Person.id == Student.person_id).where(Person.active.is_(True))
    )
    assert len(cov.students.everyone) == len(list(active))


async def test_a_class_named_after_the_command(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    """/coverage 7Б is honoured for whom it may be (the administrator) and refused, saying why, to the class
    teacher of 5А, who used to get 5А without a word; a class that is not there is said so."""
    emu = harness.emu
    await link(session, emu, "S03", 9209)  # the class teacher of 5А
    (refused,) = await emu.say(9209, "/coverage 7Б")
    assert refused["text"] == "Это не ваш класс: классный руководитель работает только со своим классом."
    (own,) = await emu.say(9209, "/coverage 5а")  # as people type it
    assert own["text"].startswith("5А: охват бота")
    await link(session, emu, "S01", 9210)
    (other,) = await emu.say(9210, "/coverage 7Б")
    assert other["text"].startswith("7Б: охват бота")
    assert "◀ все классы" in [b["text"] for row in other["reply_markup"]["inline_keyboard"] for b in row]
    (missing,) = await emu.say(9210, "/coverage 9Z")
    assert missing["text"] == "Класса 9Z в школе нет: укажите его название, например 5А."


def test_linked_share_rounds_halves_up() -> None:
    from views.coverage import counts_line

    counts = coverage.Counts(everyone=set(range(8)), linked={1})  # 12,5 %
    assert "(13\xa0%)" in counts_line("Students", counts, "ru")
