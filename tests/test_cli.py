"""The command line as an administrator uses it: settings, import, codes, demo."""

import asyncio
import csv
import io
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from devtools.emulator import Emulator, serve
from tests.conftest import DEMO, TOKEN, free_port
from tests.support.roster import copy_demo, set_cell

TUNABLES = (
    "GRACE_MINUTES",
    "DELIVERY_LEASE_SECONDS",
    "TUTOR_REMINDER_HOUR",
    "UNEXCUSED_ABSENCE_ALERT",
    "LOW_AVERAGE_ALERT",
)
runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    values = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    for name in ("BOT_TOKEN", "TELEGRAM_API_URL", "REDIS_URL", "LOCALE", "LINK_CODE_DAYS", "LOG_LEVEL", *TUNABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def invoke(*args: str):
    get_settings.cache_clear()
    return runner.invoke(app, list(args))


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """The emulator in a thread of its own, as `diary-bot emulator` would run beside the CLI."""
    loop = asyncio.new_event_loop()
    port = free_port()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        runner_ = loop.run_until_complete(serve(Emulator(), "127.0.0.1", port))
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner_.cleanup())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(5)
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected an SQLAlchemy async URL"),
        ("BOT_TOKEN", "12345:short", "BOT_TOKEN: expected the token from @BotFather"),
        ("TELEGRAM_API_URL", "api.telegram.org", "TELEGRAM_API_URL: expected an http(s) URL"),
        ("LINK_CODE_DAYS", "forever", "LINK_CODE_DAYS: expected a whole number of days"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL: expected a redis:// URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: expected one of DEBUG"),
        ("GRACE_MINUTES", "abc", "GRACE_MINUTES: expected minutes from 0 to 60"),
        ("DELIVERY_LEASE_SECONDS", "0", "DELIVERY_LEASE_SECONDS: expected seconds from 1 to 3600"),
        ("TUTOR_REMINDER_HOUR", "25", "TUTOR_REMINDER_HOUR: expected an hour of the day"),
        ("UNEXCUSED_ABSENCE_ALERT", "many", "UNEXCUSED_ABSENCE_ALERT: expected a whole number of absences"),
        ("LOW_AVERAGE_ALERT", "low", "LOW_AVERAGE_ALERT: expected an average"),
    ],
)
def test_bad_setting_stops_with_one_line(env, monkeypatch, name: str, value: str, expected: str) -> None:
    monkeypatch.setenv("LOCALE", "en")
    monkeypatch.setenv(name, value)
    result = invoke("db", "upgrade")
    assert result.exit_code == 2
    assert result.output.strip().startswith(expected)
    assert len(result.output.strip().splitlines()) == 1
    assert value not in result.output or name != "BOT_TOKEN"


def test_a_setting_in_dot_env_is_honoured_and_checked(env, monkeypatch, tmp_path) -> None:
    """Tunables come from .env like everything else, and the error is in the operator's language."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("GRACE_MINUTES=soon\n")
    result = invoke("db", "upgrade")
    assert result.exit_code == 2
    assert result.output.strip() == "GRACE_MINUTES: ожидается число минут от 0 до 60, например 3."
    (tmp_path / ".env").write_text("GRACE_MINUTES=7\n")
    get_settings.cache_clear()
    assert get_settings().tunables().grace == timedelta(minutes=7)


def test_run_without_token_says_how_to_get_one(env) -> None:
    result = invoke("run")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and "@BotFather" in lines[0] and "diary-bot emulator" in lines[1]


def test_import_then_codes_in_csv(env) -> None:
    result = invoke("import", str(DEMO))
    assert result.exit_code == 0, result.output
    assert "students: создано 60, обновлено 0, деактивировано 0, без изменений 0" in result.output
    assert result.output.strip().endswith("Списки школы загружены.")
    result = invoke("codes", "--class", "C1A", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["Человек", "Роль", "Класс", "Ребёнок", "Код", "Ссылка"]
    assert sum(r[1] in ("ученик", "ученица") for r in rows[1:]) == 15
    assert all(r[5] == "" for r in rows[1:])
    assert "Bot API недоступен" in result.stderr
    result = invoke("codes", "--class", "C1A", "--revoke")
    assert result.exit_code == 0 and result.output == f"Отозван {len(rows) - 1} код.\n"


def test_codes_carry_deep_links_when_the_bot_api_answers(env, monkeypatch, emulator_url: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", emulator_url)
    monkeypatch.setenv("LOCALE", "en")
    assert invoke("import", str(DEMO)).exit_code == 0
    result = invoke("codes", "--role", "admin")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all("| administrator" in line and "https://t.me/diary_demo_bot?start=" in line for line in lines)
    assert "2 codes issued; valid for 30 days." in result.stderr


def test_bad_roster_lists_every_error_and_changes_nothing(env, tmp_path: Path) -> None:
    assert invoke("import", str(DEMO)).exit_code == 0
    folder = copy_demo(tmp_path)
    set_cell(folder, "students", 2, "last_name", "Другая")
    set_cell(folder, "timetable", 3, "weekday", "8")
    set_cell(folder, "schools", 2, "timezone", "Moscow")
    result = invoke("import", str(folder))
    assert result.exit_code == 1
    assert "Списки не загружены, ничего не изменилось. 2 ошибки:" in result.stderr
    assert "timetable.csv, строка 3, столбец weekday: «8» — не целое число от 1 до 7." in result.stderr
    assert "schools.csv, строка 2, столбец timezone: «Moscow» — не часовой пояс" in result.stderr
    result = invoke("import", str(DEMO), "--dry-run")
    assert "students: создано 0, обновлено 0, деактивировано 0, без изменений 60" in result.output
    assert "Пробный запуск: ничего не сохранено." in result.output


def test_unknown_class_for_codes(env) -> None:
    assert invoke("import", str(DEMO)).exit_code == 0
    result = invoke("codes", "--class", "C99")
    assert result.exit_code == 1 and "Класса C99 нет: укажите его название (5А)" in result.output


def test_demo_without_token_explains(env) -> None:
    result = invoke("demo")
    assert result.exit_code == 2 and "BOT_TOKEN" in result.output


def test_substitute_and_work_types(env, monkeypatch) -> None:
    from tests.support.journal import freeze

    freeze(monkeypatch)  # 23 November 2026 stays inside the journal's edit window
    assert invoke("import", str(DEMO)).exit_code == 0
    result = invoke("substitute", "--class", "C5A", "--date", "2026-11-23", "--lesson-no", "1", "--to", "S07")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Передан на замену: 5А, Математика, 23 ноября, 1-й урок в 08:30 — Гордеева Ирина Алексеевна (S07)."
    )
    result = invoke("substitute", "--class", "C5A", "--date", "2026-11-23", "--lesson-no", "4", "--to", "S07")
    assert result.exit_code == 1 and "разделён на группы 1, 2: укажите группу через --subgroup" in result.output
    result = invoke("substitute", "--class", "C5A", "--date", "23.11.2026", "--lesson-no", "1")
    assert result.exit_code == 2
    result = invoke("work-types", "--add", "dictation", "Диктант", "--disable", "lab")
    assert result.exit_code == 0, result.output
    assert "dictation: Диктант" in result.output and "lab: Лабораторная работа (выключен)" in result.output
    assert "test: Контрольная работа" in result.output


def test_audit_shows_a_deleted_grade(env, monkeypatch) -> None:
    assert invoke("import", str(DEMO)).exit_code == 0

    async def grade_then_delete() -> None:
        from models.db import make_engine, make_sessionmaker
        from services import grades
        from tests.support.journal import act_as, freeze, lesson_of

        freeze(monkeypatch)
        engine = make_engine(env["DATABASE_URL"])
        async with make_sessionmaker(engine)() as session:
            lesson = await lesson_of(session, "S03", date(2026, 11, 23), "MATH", "5А")
            from services.class_lists import lesson_students

            sid = (await lesson_students(session, lesson))[0][0].id
            teacher = await act_as(session, "S03")
            grade = await grades.add(session, teacher, lesson.id, sid, 4)
            await session.commit()
            await grades.delete(session, teacher, grade.id)
            await session.commit()
        await engine.dispose()

    asyncio.run(grade_then_delete())
    result = invoke("audit", "--entity", "grade")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "Время указано местное, по часовому поясу школы (Asia/Barnaul)."
    assert "| Соколова Елена Викторовна (S03) | оценка удалена | " in lines[1] and lines[1].endswith("| оценка: 4 → —")
    assert "| оценка выставлена | " in lines[2] and lines[2].endswith(
        "· 5А, Математика, 23 ноября, 1-й урок в 08:30 | — → оценка: 4"
    )


def test_codes_by_class_name_for_tutors_and_with_each_parents_child(env) -> None:
    """A class by its name as people write it; class teachers have a role of their own; a parent's
    line names the child, so the printed code goes to the right home."""
    assert invoke("import", str(DEMO)).exit_code == 0
    for written in ("5А", "5а", "5 A"):
        result = invoke("codes", "--class", written, "--format", "csv")
        assert result.exit_code == 0, (written, result.output)
        rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
        assert sum(r[1] in ("ученик", "ученица") for r in rows) == 15, written
        invoke("codes", "--class", written, "--revoke")
    mother = next(r for r in rows if r[0] == "Романова Дарья Александровна")
    assert mother[1] == "родитель" and mother[3] == "Романова Екатерина, 5А"
    tutors = invoke("codes", "--role", "tutor")
    assert tutors.exit_code == 0, tutors.output
    lines = tutors.stdout.strip().splitlines()
    assert len(lines) == 4 and any(
        line.startswith("Соколова Елена Викторовна | ") and "| 5А |" in line for line in lines
    )


def test_an_unreachable_telegram_at_start_is_one_line(env, monkeypatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    result = invoke("run")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("Telegram недоступен по адресу http://127.0.0.1:")
    assert "Traceback" not in result.output
