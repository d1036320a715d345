"""The journal through the real dispatcher against the emulator, on a fixed school day."""

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Attendance, AuditEntry, Grade, Homework, HomeworkAttachment, Notification, Person
from tests.conftest import BotHarness
from tests.support.bot import link
from tests.support.journal import MONDAY, freeze, person


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


def button(message: dict, label: str, after: str | None = None) -> str:
    """The callback data of the button with this label (the first after the button `after`)."""
    rows = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    start = 0
    if after is not None:
        start = next(i for i, b in enumerate(rows) if b["text"].startswith(after)) + 1
    for b in rows[start:]:
        if b["text"].startswith(label):
            return b["callback_data"]
    raise AssertionError(f"no button {label!r} in {[b['text'] for b in rows]}")


class Taps:
    def __init__(self, emu, user_id: int) -> None:
        self.emu, self.user_id, self.count = emu, user_id, 0

    async def tap(self, message: dict, label: str, after: str | None = None) -> dict:
        """Press a button; returns the bot's newest message, or the pressed one as edited."""
        self.count += 1
        before = len(self.emu.bot_messages(self.user_id))
        update_id = await self.emu.press(self.user_id, message["message_id"], button(message, label, after))
        await self.emu.wait_processed(update_id)
        messages = self.emu.bot_messages(self.user_id)
        if len(messages) > before:
            return messages[-1]
        return next(m for m in messages if m["message_id"] == message["message_id"])


async def test_teacher_marks_grades_and_posts_homework_in_under_ten_taps(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    # Families who consented get pushes; the others must get none.
    mother = await person(session, "R017")  # mother of P018 (5А)
    await session.execute(update(Person).where(Person.id == mother.id).values(consent_at=MONDAY))
    await session.commit()
    await link(session, emu, "S03", 3001)  # mathematics in 5А, and 5А's class teacher

    today = (await emu.say(3001, "/today"))[0]
    assert today["text"].startswith("Ваши уроки, пн, 23 ноября:")
    lesson_title = "1. 08:30 5А — Математика"
    taps = Taps(emu, 3001)
    sheet = await taps.tap(today, "Посещ", after=lesson_title)
    assert sheet["text"].startswith("Посещаемость: 5А")
    names = [b["text"] for row in sheet["reply_markup"]["inline_keyboard"] for b in row][:15]
    first, second, present = names[0][2:], names[1][2:], names[2][2:]
    rows = [[b["text"] for b in row] for row in sheet["reply_markup"]["inline_keyboard"]]
    assert ["Все присутствуют"] in rows, "the last student has a row of its own, not beside this button"
    assert rows[-1] == ["💾 Сохранить", "Отмена"]
    sheet = await taps.tap(sheet, "✅ " + first)
    sheet = await taps.tap(sheet, "✅ " + second)
    assert "Отсутствуют: 2" in sheet["text"]
    assert await session.scalar(select(func.count()).select_from(Attendance)) == 0, "nothing is saved before Save"
    card = await taps.tap(sheet, "💾")
    assert card["text"].startswith("Посещаемость сохранена.")
    students = await taps.tap(card, "Оценки")
    values = await taps.tap(students, present)
    kinds = await taps.tap(values, "5")
    students = await taps.tap(kinds, "Контрольная работа")
    assert students["text"].startswith("Сохранено: 5.")
    prompt = await taps.tap(students, "ДЗ")
    assert prompt["text"].startswith("Пришлите домашнее задание")
    assert taps.count <= 9
    await emu.wait_processed(await emu.send_photo(3001, b"\x89PNG page 45", caption="Стр. 45, № 3–5"))
    assert emu.last(3001)["text"].startswith("Домашнее задание выдано, срок")

    hw = await session.scalar(select(Homework))
    assert hw is not None and hw.text == "Стр. 45, № 3–5"
    assert await session.scalar(select(func.count()).select_from(HomeworkAttachment)) == 1
    grade = await session.scalar(select(Grade))
    assert grade is not None and grade.value == 5

    # The class teacher sees both absences and gives one "illness".
    waiting = (await emu.say(3001, "/absences"))[0]
    assert waiting["text"].count("\n1. ") == 1 and "\n2. " in waiting["text"]
    await emu.click(3001, waiting, "1: болезнь")
    reasons = list(await session.scalars(select(Attendance.reason).order_by(Attendance.id)))
    assert sorted(reasons, key=str) == sorted(["illness", None], key=str)

    actions = set(await session.scalars(select(AuditEntry.action)))
    assert {"attendance_marked", "grade_created", "homework_created", "reason_given"} <= actions
    recipients = set(await session.scalars(select(Notification.person_id)))
    assert recipients == {mother.id}, "only the family that consented gets pushes"
    kinds_for_mother = set(await session.scalars(select(Notification.kind)))
    assert kinds_for_mother <= {"absence_marked", "grade_created", "homework_created", "reason_given"}
    assert "homework_created" in kinds_for_mother
