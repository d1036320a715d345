"""A school's student is spoken to as «ты» on every screen of the bot, not only in the greeting; a parent
and a college's student stay «вы» (views/informal.py, locales/i18n.addressed). Through the dispatcher."""

import re
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from devtools.emulator import Emulator
from locales.i18n import INFORMAL, LOCALES_DIR, catalog
from models import School
from tests.conftest import BotHarness
from tests.support.bot import link
from tests.support.journal import freeze
from views.informal import FORMS


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


CONSENT_VY = (
    "Согласие на обработку персональных данных\n\n"
    "Чтобы показывать вам оценки, посещаемость и домашние задания, школа обрабатывает персональные данные "
    "обучающегося и родителей (Федеральный закон № 152-ФЗ «О персональных данных»). По положению школы об "
    "электронном дневнике получателями дневника являются обучающиеся и родители, давшие это согласие, и каждая "
    "семья видит только данные своего ребёнка.\n\n"
    "Отозвать согласие можно в любой момент командой /privacy; тогда бот перестанет показывать данные дневника "
    "и присылать уведомления."
)
CONSENT_TY = CONSENT_VY.replace("показывать вам оценки", "показывать тебе оценки")
assert CONSENT_TY != CONSENT_VY

WHOM = "Обучающиеся и родители получают коды у классного руководителя, сотрудники — у администратора школы."
QUIET = "Тихие часы: 21:00–07:30; всё, что придёт в это время, подождёт до 07:30 и придёт одним сообщением."
ACCEPTED_ON = r"\d{1,2} [а-я]+ \d{4}, \d\d:\d\d"  # when the press came (the clock of the database)

# What each reader reads on the same screens. A school's student: «ты», the past tense worded without a
# gender («Твоё согласие получено», not «Ты дал согласие»).
TY = {
    "menu": "Что ты можешь сделать:",
    "menu_consent": "Данные дневника появятся здесь, когда ты дашь согласие на обработку персональных данных: /privacy",
    "diary": "Твоего согласия на обработку персональных данных ещё нет, поэтому бот не может показывать данные "
    "дневника. Отправь /privacy, чтобы прочитать согласие и принять его.",
    "privacy": CONSENT_TY + "\n\nОтвета от тебя ещё нет. Пока согласия нет, данные дневника и уведомления отключены.",
    "accepted": re.escape(CONSENT_TY + "\n\nТвоё согласие получено ") + ACCEPTED_ON + r"\.",
    "staff": "Эта команда недоступна для твоей роли.",
    "settings": f"Уведомления: нажми, чтобы включить или выключить.\n{QUIET}",
    "language": "Выбери язык:",
    "reports": "После /reports ничего писать не нужно («за год» не учтено): выбери кнопками ниже.\n\n"
    "Табель успеваемости: Матвей Алексеев, 5А — выбери период и формат.",
    "stale": "Эта кнопка уже не действует. Отправь /help.",
    # His own code again, from the account it linked: nothing wrong, he is in.
    "relink": "Этим кодом этот аккаунт Telegram уже подключён: ты в дневнике. /help",
    "logout": "Этот аккаунт Telegram отключён. Чтобы подключиться снова, отправь /start с новым кодом.",
}
VY = {
    "menu": "Что вы можете сделать:",
    "menu_consent": "Данные дневника появятся здесь, когда вы дадите согласие на обработку персональных данных: "
    "/privacy",
    "diary": "Вы ещё не дали согласие на обработку персональных данных, поэтому бот не может показывать данные "
    "дневника. Отправьте /privacy, чтобы прочитать согласие и принять его.",
    "privacy": CONSENT_VY + "\n\nВы ещё не ответили. Пока согласия нет, данные дневника и уведомления отключены.",
    "accepted": re.escape(CONSENT_VY + "\n\nВы дали согласие ") + ACCEPTED_ON + r"\.",
    "staff": "Эта команда недоступна для вашей роли.",
    "settings": f"Уведомления: нажмите, чтобы включить или выключить.\n{QUIET}",
    "language": "Выберите язык:",
    "reports": "После /reports ничего писать не нужно («за год» не учтено): выберите кнопками ниже.\n\n"
    "Табель успеваемости: Матвей Алексеев, 5А — выберите период и формат.",
    "stale": "Эта кнопка уже не действует. Отправьте /help.",
    "relink": "Этим кодом этот аккаунт Telegram уже подключён: вы в дневнике. /help",
    "logout": "Этот аккаунт Telegram отключён. Чтобы подключиться снова, отправьте /start с новым кодом.",
}


async def pressed(emu: Emulator, user: int, message: dict[str, Any], data: str) -> None:
    await emu.wait_processed(await emu.press(user, message["message_id"], data))


async def read_screens(session: AsyncSession, emu: Emulator, ref: str, user: int) -> dict[str, Any]:
    """Link the person and go through the screens a family has, as they would; what each one said."""
    code = await link(session, emu, ref, user, "ru")
    read: dict[str, Any] = {}
    help_ = (await emu.say(user, "/help"))[0]["text"].split("\n")
    read["menu"], read["menu_consent"] = help_[0], help_[-1]
    read["diary"] = (await emu.say(user, "/grades"))[0]["text"]
    shown = (await emu.say(user, "/privacy"))[0]
    read["privacy"] = shown["text"]
    after = await emu.click(user, shown, "Принимаю")
    read["accepted"] = shown["text"]  # the same message, edited in place
    read["menu_after"] = after[-1]["text"].split("\n")
    read["staff"] = (await emu.say(user, "/today"))[0]["text"]
    settings = (await emu.say(user, "/settings"))[0]
    read["settings"] = settings["text"]
    read["language"] = (await emu.click(user, settings, "🌐 Язык"))[0]["text"]
    read["reports"] = (await emu.say(user, "/reports за год"))[0]["text"]
    await pressed(emu, user, emu.last(user), "no-such-button")
    read["stale"] = emu.chats[user].popups[-1]["text"]
    read["relink"] = (await emu.say(user, f"/start {code}"))[0]["text"]
    asked = (await emu.say(user, "/logout"))[0]
    await emu.click(user, asked, "Да, отключить")
    read["logout"] = asked["text"]  # edited in place
    return read


def assert_read(read: dict[str, Any], expected: dict[str, str]) -> None:
    for screen, text in expected.items():
        if screen == "accepted":
            assert re.fullmatch(text, read[screen]), (screen, read[screen])
        else:
            assert read[screen] == text, (screen, read[screen])
    # Once consent is given, the menu that follows has no line asking for it.
    assert read["menu_after"][0] == expected["menu"] and expected["menu_consent"] not in read["menu_after"]


async def test_a_school_student_is_told_as_ty_on_every_screen(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    read = await read_screens(session, harness.emu, "P020", 8101)
    assert_read(read, TY)


async def test_a_parent_is_told_as_vy_on_the_same_screens(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    read = await read_screens(session, harness.emu, "R019", 8102)  # Матвей's mother
    assert_read(read, VY)


async def test_a_college_student_is_told_as_vy(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    await session.execute(update(School).values(kind="college"))
    await session.commit()
    read = await read_screens(session, harness.emu, "P020", 8103)
    assert_read(read, VY)


def test_every_informal_form_is_a_message_of_the_bot_and_translated() -> None:
    """Each form marks a message the code shows (a typo would mark a message nobody looks up), and
    each has its «ты» translation, with the same placeholders, and English as without the context."""
    with open(LOCALES_DIR / "messages.pot", "rb") as f:
        template = read_po(f)
    messages = {m.id for m in template if m.context is None and m.id}
    placeholders = re.compile(r"\{[^}]*\}")
    ru, en = catalog("ru"), catalog("en")
    assert len(FORMS) == len({form.message for form in FORMS})
    for form in FORMS:
        assert form.context == INFORMAL
        assert form.message in messages, form.message
        informal, formal = ru.pgettext(INFORMAL, form.message), ru.gettext(form.message)
        assert informal not in (form.message, formal), form.message
        assert sorted(placeholders.findall(informal)) == sorted(placeholders.findall(formal)), form.message
        assert informal.count("\n") == formal.count("\n"), form.message
        assert not re.search(r"(?i)(?<![а-яё])(вы|вас|вам|ваш\w*)(?![а-яё])|[а-яё]+(ите|йте|ьте)(?![а-яё])", informal)
        assert en.pgettext(INFORMAL, form.message) == en.gettext(form.message), form.message


async def test_a_school_student_reads_the_consent_as_ty_right_after_linking(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    await link(session, harness.emu, "P020", 8104, "ru")
    greeting, consent_text = harness.emu.texts(8104)[:2]
    assert greeting.startswith("Здравствуй, Матвей!")
    assert consent_text == CONSENT_TY
