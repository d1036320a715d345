"""Coverage: who of the families the bot reaches, for a class teacher and the administrator, in the
bot and at the command line, with new codes for those not linked in one tap."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from devtools.emulator import Emulator
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


def shown(emu: Emulator, user: int, message_id: int) -> dict:
    """A message of the bot as the chat shows it now (edited in place since, maybe)."""
    return next(m for m in emu.bot_messages(user) if m["message_id"] == message_id)


def labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


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
    assert (
        "Ученики: 15\n· подключены: 2 (13\xa0%)\n· дали согласие: 1\n"
        "· бот может им писать (не заблокировали бота): 1\n· прочитали последнюю сводку: 0"
    ) in text
    assert (
        "Родители: 16\n· подключены: 1 (6\xa0%)\n· дали согласие: 1\n"
        "· бот может им писать (не заблокировали бота): 1\n· прочитали последнюю сводку: 1"
    ) in text
    assert "доступны" not in text
    assert "Не подключены (28 человек):" in text and "Петров Андрей" in text
    assert "Алексеева Мария — родитель; ребёнок: Алексеев Матвей, 5А" in text, "the child is named as the child"
    assert "(родитель: " not in text
    before = len(list(await session.scalars(select(LinkCode))))
    # The tap asks first: nothing is issued before the person chooses.
    await emu.click(9204, screen, "🔑 Новые коды для неподключённых")
    question = emu.last(9204)
    assert question["message_id"] == screen["message_id"], "the question takes the screen's place"
    assert question["text"] == (
        "Коды подключения для 5А\n28 человек ещё не подключились и получат по коду.\n"
        "Выданные раньше коды продолжают действовать, пока одним из них не воспользуются, если вы их не отмените."
    )
    assert labels(question) == [
        "Выдать (выданные раньше тоже действуют)",
        "Выдать и отменить выданные раньше",
        "◀ назад",
    ]
    assert len(list(await session.scalars(select(LinkCode)))) == before
    replies = await emu.click(9204, question, "Выдать (выданные раньше тоже действуют)")
    assert emu.last(9204)["message_id"] != question["message_id"]
    done = shown(emu, 9204, question["message_id"])
    assert done["text"] == "Выдано 28 кодов — см. ниже." and labels(done) == ["◀ назад"], "no second press there"
    assert replies[0]["text"].startswith("Новые коды подключения, действуют 30 дней")
    files = [r["document"]["file_name"] for r in replies if "document" in r]
    assert files == ["Коды 5А.pdf", "Коды 5А.csv"]
    table = next(r for r in replies if r.get("document", {}).get("file_name") == "Коды 5А.csv")
    rows = list(csv.reader(io.StringIO(emu.files[table["document"]["file_id"]].content.decode("utf-8-sig"))))
    assert rows[0] == ["Человек", "Роль", "Класс", "Ребёнок", "Код", "Ссылка"]
    mother = next(r for r in rows if r[0].startswith("Алексеева Мария"))
    assert mother[2] == "5А" and mother[3] == "Алексеев Матвей, 5А", "the class column holds classes only"
    girl = next(r for r in rows if r[0] == "Васильева Ульяна Николаевна")
    assert girl[1] == "ученица", "a girl is «ученица», not «обучающийся»"
    assert {r[1] for r in rows[1:]} == {"ученик", "ученица", "родитель"}
    session.expire_all()
    fresh = list(await session.scalars(select(LinkCode).where(LinkCode.issued_by == (await person(session, "S03")).id)))
    assert len(fresh) == 28 and all(c.scope == Scope.FAMILY for c in fresh)
    assert len(list(await session.scalars(select(LinkCode)))) == before + 28


async def live_codes(session: AsyncSession) -> dict[int, int]:
    """Person -> their unused, uncancelled codes, as stored now."""
    session.expire_all()
    rows = await session.execute(
        select(LinkCode.person_id, func.count())
        .where(LinkCode.used_at.is_(None), LinkCode.revoked_at.is_(None))
        .group_by(LinkCode.person_id)
    )
    return dict(rows.all())


async def test_codes_pile_up_only_when_asked(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    """A second tap on the same question, or a tap on an old message, issues nothing without a fresh
    question counted at the time of the tap; «cancel the earlier ones» leaves one live code a person."""
    emu = harness.emu
    await link(session, emu, "S03", 9211)
    (old,) = await emu.say(9211, "/coverage")
    await emu.click(9211, old, "🔑 Новые коды для неподключённых")
    first = emu.last(9211)
    stale_issue = next(data for text, data in emu.buttons(first) if text.startswith("Выдать ("))
    await emu.click(9211, first, "Выдать (выданные раньше тоже действуют)")
    codes = await live_codes(session)
    assert len(codes) == 31 and set(codes.values()) == {1}  # 5А's families; S03's own code is used

    # The same question pressed again (a double tap, or its button kept elsewhere): asked again, nothing issued.
    await emu.wait_processed(await emu.press(9211, first["message_id"], stale_issue))
    again = shown(emu, 9211, first["message_id"])
    assert again["text"].startswith(
        "Этим людям уже выдали коды после того, как был показан этот вопрос, поэтому сейчас ничего не выдано"
    )
    assert "У 31 из них уже есть действующий код, выданный раньше (всего таких кодов: 31)." in again["text"]
    assert await live_codes(session) == codes

    # An old /coverage message: its tap counts now, then the earlier codes are cancelled on purpose.
    (second,) = await emu.say(9211, "/coverage")
    await emu.click(9211, second, "🔑 Новые коды для неподключённых")
    question = emu.last(9211)
    assert "31 человек ещё не подключился и получит код." in question["text"]
    assert "У 31 из них уже есть действующий код" in question["text"]
    replies = await emu.click(9211, question, "Выдать и отменить выданные раньше")
    assert replies[0]["text"].startswith(
        "Новые коды подключения, действуют 30 дней. Неиспользованные коды, выданные этим людям раньше, отменены:"
    )
    done = shown(emu, 9211, question["message_id"])
    assert done["text"] == "Выдан 31 код — см. ниже. Отменён 31 код, выданный раньше."
    after = await live_codes(session)
    assert after.keys() == codes.keys() and set(after.values()) == {1}, "one live code a person"
    assert len(list(await session.scalars(select(LinkCode)))) == 1 + 31 * 2, "S03's own, and two sets"

    # ◀ goes back to the class.
    await emu.click(9211, done, "◀ назад")
    assert shown(emu, 9211, done["message_id"])["text"].startswith("5А: охват бота")


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
    for op in (CoverageOp.CODES, CoverageOp.ISSUE, CoverageOp.REPLACE):
        await press(emu, 9208, CoverageCb(op=op, cls=own_class or 0).pack())
        refusal = "You can issue codes only for the students and parents of your own class."
        assert emu.callback_answers[-1]["text"] == refusal, op
    assert len(list(await session.scalars(select(LinkCode)))) == codes_before


def test_command_line_prints_the_school(env: dict[str, str]) -> None:  # noqa: F811
    assert invoke("import", str(DEMO)).exit_code == 0
    result = invoke("coverage")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Охват бота: МБОУ «Лицей № 1»\nНедельных сводок ещё не было.")
    assert "· бот может им писать (не заблокировали бота): 0" in result.output and "доступны" not in result.output
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


async def test_a_named_class_is_counted_once(
    demo: None, session: AsyncSession, harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/coverage 7Б counts the reach once (it used to count the class, then all the classes again)."""
    emu = harness.emu
    await link(session, emu, "S01", 9212, "en")
    counted = coverage.coverage
    calls: list[int | None] = []

    async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("class_id"))
        return await counted(*args, **kwargs)

    monkeypatch.setattr(coverage, "coverage", counting)
    (screen,) = await emu.say(9212, "/coverage 7Б")
    assert screen["text"].startswith("7Б: reach of the bot") and len(calls) == 1
