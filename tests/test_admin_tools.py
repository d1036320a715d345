"""The administrator's tools (issue 10): no teacher in two classes at once, in the bot's /substitute
and on the command line (item 4); /substitute reaches the past days of the edit window (item 6);
`audit` and `substitute` speak in names, lessons and school time (item 16); the command line's help
follows LOCALE (item 17)."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from handlers.callbacks import SubstituteCb
from locales.i18n import day_in_words
from models import AuditEntry, Lesson
from services import grades, lessons
from services.class_lists import lesson_students
from services.errors import DiaryError, NotAllowed
from tests.conftest import ROOT, BotHarness
from tests.support.bot import link, press
from tests.support.journal import act_as, freeze, lesson_of, person
from tests.test_flow_journal import Taps

TODAY = date(2026, 11, 23)  # a Monday; the demo school's edit window is 14 days: 9 November on
runner = CliRunner()


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


def labels(message: dict) -> list[str]:
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def substitute_of(session: AsyncSession, lesson_id: int) -> int | None:
    """As stored now (the bot's own session has committed it)."""
    return await session.scalar(
        select(Lesson.substitute_id).where(Lesson.id == lesson_id).execution_options(populate_existing=True)
    )


# --- item 4 and 6: /substitute in the bot ---------------------------------------------------------


async def test_substitute_hides_busy_teachers_names_them_and_refuses_a_forged_press(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")  # 08:30–09:10
    absent, busy = await person(session, "S03"), await person(session, "S05")
    await link(session, emu, "S01", 7001)
    taps = Taps(emu, 7001)
    teachers = (await emu.say(7001, "/substitute"))[0]
    page = await taps.tap(teachers, "Соколова")
    assert page["text"].startswith("Соколова Елена Викторовна: какой урок? Уроки с 23 ноября по 29 ноября.")
    choose = await taps.tap(page, "пн 23.11 1. 5А")
    assert choose["text"].startswith("Кто проведёт урок пн, 23 ноября, 1. 08:30 5А — Математика?")
    # At 08:30 on Mondays Кравцова has 1А, Миронова 7Б and Тарасов 9В: not offered, and said why.
    assert (
        "Заняты в это время, поэтому не предлагаются: Кравцова А.М. (1А, 08:30–09:05); "
        "Миронова О.С. (7Б, 08:30–09:10); Тарасов И.Н. (9В, 08:30–09:10)." in choose["text"]
    )
    offered = labels(choose)
    assert "Гордеева И." in offered and "Рябов П." in offered
    assert not {"Тарасов И.", "Миронова О.", "Кравцова А.", "Соколова Е."} & set(offered)
    # A forged press for a busy teacher is refused by the service, naming the lesson that clashes.
    await press(emu, 7001, SubstituteCb(teacher=absent.id, lesson=lesson.id, to=busy.id).pack())
    assert emu.bot_messages(7001)[-1]["text"] == (
        "Тарасов Игорь Николаевич в это время уже ведёт урок: 9В, Математика, 23 ноября, с 08:30 до 09:10. "
        "Учитель не может вести два класса одновременно — выберите другого учителя."
    )
    assert await substitute_of(session, lesson.id) is None
    assert not await session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "lesson"))
    done = await taps.tap(choose, "Гордеева")
    assert done["text"] == "Гордеева Ирина Алексеевна проводит урок пн 23.11 и заполняет его журнал."
    assert "↩ другой урок" in labels(done)
    assert await substitute_of(session, lesson.id) == (await person(session, "S07")).id


async def test_substitute_reaches_back_to_the_edit_window_and_no_further(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    await link(session, emu, "S01", 7002)
    taps = Taps(emu, 7002)
    teachers = (await emu.say(7002, "/substitute"))[0]
    this_week = await taps.tap(teachers, "Соколова")
    assert "◀ раньше" in labels(this_week) and "позже ▶" in labels(this_week)
    last_week = await taps.tap(this_week, "◀ раньше")
    assert last_week["text"].startswith("Соколова Елена Викторовна: какой урок? Уроки с 16 ноября по 22 ноября.")
    oldest = await taps.tap(last_week, "◀ раньше")
    assert oldest["text"].startswith("Соколова Елена Викторовна: какой урок? Уроки с 9 ноября по 15 ноября.")
    assert "Более ранние дни не предлагаются: журнал до 9 ноября закрыт" in oldest["text"]
    assert "◀ раньше" not in labels(oldest)
    # A past lesson inside the window is given like today's.
    last_week = await taps.tap(oldest, "позже ▶")
    choose = await taps.tap(last_week, "пн 16.11 1. 5А")
    await taps.tap(choose, "Гордеева")
    past = await lesson_of(session, "S07", date(2026, 11, 16), "MATH", "5А")  # hers now
    assert await substitute_of(session, past.id) == (await person(session, "S07")).id
    # Older than the window: not listed, and a forged press is refused with the dates.
    old = await lesson_of(session, "S03", date(2026, 11, 6), "MATH", "5А")
    absent, taker = await person(session, "S03"), await person(session, "S07")
    await press(emu, 7002, SubstituteCb(teacher=absent.id, lesson=old.id, to=taker.id).pack())
    assert emu.bot_messages(7002)[-1]["text"] == (
        "Журнал за 6 ноября закрыт (сейчас открыт с 9 ноября), поэтому назначить замену на этот урок уже нельзя."
    )
    assert await substitute_of(session, old.id) is None


async def test_the_rule_counts_who_teaches_now_and_lets_one_teacher_take_both_groups(
    demo: None, session: AsyncSession
) -> None:
    admin = await act_as(session, "S01")
    mironova, gordeeva = await person(session, "S04"), await person(session, "S07")
    russian_7b = await lesson_of(session, "S04", TODAY, "RUS", "7Б")  # 08:30, Миронова's own
    maths_5a = await lesson_of(session, "S03", TODAY, "MATH", "5А")  # 08:30
    with pytest.raises(DiaryError) as refused:
        await lessons.substitute(session, admin, maths_5a.id, mironova.id)
    assert (refused.value.params["name"], refused.value.params["class_name"]) == ("Миронова Ольга Сергеевна", "7Б")
    # Once her 7Б lesson is given to Гордеева, Миронова is free at 08:30 and may take 5А…
    await lessons.substitute(session, admin, russian_7b.id, gordeeva.id)
    await lessons.substitute(session, admin, maths_5a.id, mironova.id)
    await session.commit()
    # …and then her own 7Б lesson cannot come back to her: she is in 5А.
    with pytest.raises(DiaryError) as refused:
        await lessons.substitute(session, admin, russian_7b.id, None)
    assert refused.value.params["class_name"] == "5А" and refused.value.params["subject"] == "Математика"
    # Both groups of one class with one teacher are no clash: Гордеева takes group 1 beside her group 2.
    group_1 = await lesson_of(session, "S06", TODAY, "ENG", "5А")
    assert group_1.subgroup == "1"
    given = await lessons.substitute(session, admin, group_1.id, gordeeva.id)
    assert given.substitute_id == gordeeva.id
    # A teacher may not open the menu of choices at all.
    with pytest.raises(NotAllowed):
        await lessons.substitution_choices(session, await act_as(session, "S03"), maths_5a.id)


# --- items 4 and 16 on the command line --------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Iterator[None]:
    """The command line on the test database (SQLite or PostgreSQL), in Russian."""
    for name in ("BOT_TOKEN", "TELEGRAM_API_URL", "REDIS_URL", "LINK_CODE_DAYS", "LOG_LEVEL", "GRACE_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("LOCALE", "ru")
    monkeypatch.setenv("TERMINAL_WIDTH", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def cli(*args: str):
    """One command, in a thread of its own: it runs its own event loop, as from a shell."""

    def run():
        get_settings.cache_clear()
        return runner.invoke(app, list(args))

    return await asyncio.to_thread(run)


async def test_cli_substitute_names_the_person_and_the_clash(demo: None, session: AsyncSession, cli_env: None) -> None:
    await session.commit()
    clash = await cli("substitute", "--class", "5А", "--date", "2026-11-23", "--lesson-no", "1", "--to", "S05")
    assert clash.exit_code == 1
    assert clash.output.strip() == (
        "Тарасов Игорь Николаевич в это время уже ведёт урок: 9В, Математика, 23 ноября, с 08:30 до 09:10. "
        "Учитель не может вести два класса одновременно — выберите другого учителя."
    )
    given = await cli("substitute", "--class", "C5A", "--date", "2026-11-23", "--lesson-no", "1", "--to", "S07")
    assert given.exit_code == 0, given.output
    assert given.output.strip() == (
        "Передан на замену: 5А, Математика, 23 ноября, 1-й урок в 08:30 — Гордеева Ирина Алексеевна (S07)."
    )
    back = await cli("substitute", "--class", "5а", "--date", "2026-11-23", "--lesson-no", "1")
    assert back.exit_code == 0, back.output
    assert back.output.strip() == (
        "Остаётся за своим учителем: 5А, Математика, 23 ноября, 1-й урок в 08:30 — Соколова Елена Викторовна (S03)."
    )
    closed = await cli("substitute", "--class", "5А", "--date", "2026-11-06", "--lesson-no", "1", "--to", "S07")
    assert closed.exit_code == 1 and "Журнал за 6 ноября закрыт" in closed.output
    # Lessons that are not there, or split into groups, are named as they are.
    day = ("--class", "5А", "--date", "2026-11-23")
    none = await cli("substitute", *day, "--lesson-no", "9", "--to", "S07")
    assert none.exit_code == 1 and "нет 9-го урока" in none.output and "--subgroup" not in none.output, none.output
    split = await cli("substitute", *day, "--lesson-no", "4", "--to", "S05")
    assert split.exit_code == 1 and "разделён на группы 1, 2" in split.output, split.output
    whole = await cli("substitute", *day, "--lesson-no", "1", "--subgroup", "1", "--to", "S07")
    assert whole.exit_code == 1 and "не разделён на группы" in whole.output, whole.output
    group = await cli("substitute", *day, "--lesson-no", "4", "--subgroup", "2", "--to", "S05")
    assert group.exit_code == 0 and "Английский язык" in group.output, group.output


async def test_cli_audit_names_people_and_lessons_in_school_time(
    demo: None, session: AsyncSession, cli_env: None
) -> None:
    lesson = await lesson_of(session, "S03", TODAY, "MATH", "5А")
    student, student_person = (await lesson_students(session, lesson))[0]
    grade = await grades.add(session, await act_as(session, "S03"), lesson.id, student.id, 4)
    await session.commit()
    await grades.change(session, await act_as(session, "S03"), grade.id, value=5)
    await session.commit()
    assert (
        await cli("substitute", "--class", "5А", "--date", "2026-11-23", "--lesson-no", "1", "--to", "S07")
    ).exit_code == 0
    result = await cli("audit", "--limit", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "Время указано местное, по часовому поясу школы (Asia/Barnaul)."
    assert "student_id" not in result.output and "lesson_id" not in result.output and "UTC" not in result.output
    the_lesson = "5А, Математика, 23 ноября, 1-й урок в 08:30"
    pupil = f"{student_person.full_name} ({student_person.student_ref})"
    assert lines[1].endswith(
        f"| командная строка | назначена замена | {the_lesson} | замена: — → замена: Гордеева Ирина Алексеевна (S07)"
    )
    assert lines[2].endswith(
        f"| Соколова Елена Викторовна (S03) | оценка изменена | {pupil} · {the_lesson} | оценка: 4 → оценка: 5"
    )
    assert lines[3].endswith(
        f"| Соколова Елена Викторовна (S03) | оценка выставлена | {pupil} · {the_lesson} | — → оценка: 4"
    )
    # The time is the school's (Barnaul, UTC+7), not UTC.
    created = await session.scalar(select(AuditEntry.at).where(AuditEntry.action == "grade_created"))
    local = created.astimezone(ZoneInfo("Asia/Barnaul"))
    assert lines[3].startswith(f"{day_in_words(local.date(), 'ru')}, {local:%H:%M:%S} | ")
    # --since is a day of the school's calendar: the day after the entries has none.
    later = await cli("audit", "--since", (local.date() + timedelta(days=1)).isoformat())
    assert later.output.strip() == "Записей нет."
    since = await cli("audit", "--since", local.date().isoformat(), "--entity", "grade")
    assert len(since.output.strip().splitlines()) == 3


# --- item 17: the help in LOCALE --------------------------------------------------------------------


def flat(text: str) -> str:
    """Help as one line of words: the frame and the wrapping of the terminal gone."""
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "ru",
            [
                "Использование: diary-bot [OPTIONS] COMMAND [ARGS]...",
                "─ Параметры ─",
                "─ Команды ─",
                "substitute Передать урок на замену другому учителю — он и заполнит журнал урока (004 §4).",
                "audit Кто, что и когда изменил — со значениями до и после (сначала новые).",
                "--help <bool> Показать эту справку и выйти.",
            ],
        ),
        (
            "en",
            [
                "Usage: diary-bot [OPTIONS] COMMAND [ARGS]...",
                "─ Options ─",
                "substitute Give a lesson to a substitute teacher, who then fills its journal (004 §4).",
            ],
        ),
    ],
)
def test_help_follows_locale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, locale: str, expected: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCALE", locale)
    monkeypatch.setenv("TERMINAL_WIDTH", "200")
    result = runner.invoke(app, ["--help"], prog_name="diary-bot")
    assert result.exit_code == 0
    for text in expected:
        assert text in flat(result.output), (text, result.output)
    sub = runner.invoke(app, ["substitute", "--help"])
    words = flat(sub.output)
    if locale == "ru":
        assert "--lesson-no <int> номер урока в этот день [обязательно]" in words
        assert "Usage" not in words and "Options" not in words
    else:
        assert "--lesson-no <int> the lesson's number that day [required]" in words


def test_help_of_the_installed_command_is_russian(tmp_path: Path) -> None:
    """`LOCALE=ru diary-bot --help` as a shell runs it, and a wrong LOCALE falls back to Russian."""
    for value in ("ru", "xx"):
        env = {**os.environ, "LOCALE": value, "TERMINAL_WIDTH": "200"}
        env.pop("DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, "-m", "bot", "--help"],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Использование: diary-bot" in done.stdout and "Команды" in done.stdout
