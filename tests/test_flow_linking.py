"""Linking through the real Bot, Dispatcher and middlewares against the emulator."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import ConsentCb
from models import AuditEntry, LinkAttemptWindow, LinkCode, Person, TelegramAccount
from services.link_codes import issue_codes_for
from tests.conftest import BotHarness
from tests.support.bot import OPERATOR


async def code_for(session: AsyncSession, column, ref: str) -> str:
    person = await session.scalar(select(Person).where(column == ref))
    assert person is not None
    result = (await issue_codes_for(session, [person], days=30, actor=OPERATOR))[0].code
    await session.commit()
    return result


async def account(session: AsyncSession, user_id: int) -> TelegramAccount | None:
    session.expire_all()
    return await session.scalar(select(TelegramAccount).where(TelegramAccount.telegram_user_id == user_id))


async def test_teacher_links_and_sees_menu_in_russian_then_english(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    code = await code_for(session, Person.staff_ref, "S03")
    replies = await emu.say(1001, f"/start {code}", language_code="ru")
    texts = [m["text"] for m in replies]
    assert texts[0] == "Здравствуйте, Елена Викторовна! Вы вошли как: учитель, классный руководитель."
    assert texts[1].startswith("Что вы можете сделать:")
    assert "/codes — Коды подключения" in texts[1] and "/privacy" not in texts[1]
    commands = emu.commands[("chat:1001", "")]
    assert [c["command"] for c in commands] == [
        "start",
        "help",
        "today",
        "absences",
        "class",
        "period",
        "journal",
        "codes",
        "reports",
        "coverage",
        "settings",
        "language",
        "logout",
    ]
    assert commands[1]["description"] == "Что я умею"

    replies = await emu.say(1001, "/language")
    assert replies[-1]["text"] == "Выберите язык:"
    await emu.click(1001, replies[-1], "English")
    assert emu.last(1001)["text"].startswith("What you can do:")
    assert emu.commands[("chat:1001", "")][1]["description"] == "What I can do for you"
    assert (await account(session, 1001)).locale == "en"
    replies = await emu.say(1001, "/help", language_code="ru")  # the stored choice wins over Telegram's
    assert replies[0]["text"].startswith("What you can do:")


async def test_deep_link_and_typed_code_with_spaces_both_link(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    code = await code_for(session, Person.staff_ref, "S07")
    typed = code.lower().replace("-", " ")
    replies = await harness.emu.say(1002, f"/start {typed}", language_code="en")
    assert replies[0]["text"] == "Hello, Ирина Алексеевна! You are signed in as: teacher."


async def test_unlinked_user_is_told_how_to_link(demo: None, harness: BotHarness) -> None:
    replies = await harness.emu.say(1003, "/start", language_code="ru")
    assert "отправьте /start и код" in replies[0]["text"]
    replies = await harness.emu.say(1003, "/codes", language_code="ru")
    assert replies[0]["text"].startswith("Ваш аккаунт Telegram ещё не подключён.")
    replies = await harness.emu.say(1003, "/start", language_code="de")  # neither ru nor en: the default
    assert "Я бот электронного дневника" in replies[0]["text"]


async def test_wrong_used_and_expired_codes_say_whom_to_ask_and_change_nothing(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    replies = await emu.say(1004, "/start AAAAA-BBBBB-CCCCC", language_code="en")
    assert replies[0]["text"].startswith("This code is not right.")
    assert "from their class teacher" in replies[0]["text"]
    assert (await account(session, 1004)) is None

    code = await code_for(session, Person.student_ref, "P020")
    await emu.say(1005, f"/start {code}", language_code="en")
    replies = await emu.say(1004, f"/start {code}", language_code="ru")
    assert replies[0]["text"].startswith("Этот код уже использован. Попросите новый.")
    assert "классного руководителя" in replies[0]["text"]


async def test_five_wrong_codes_lock_out_even_a_right_one(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    for n in range(5):
        replies = await emu.say(1006, f"/start WRONG-CODE{n}", language_code="en")
        assert replies[0]["text"].startswith("This code is not right.")
    code = await code_for(session, Person.staff_ref, "S05")
    replies = await emu.say(1006, f"/start {code}", language_code="en")
    assert replies[0]["text"].startswith("Too many wrong codes. Try again in 15 minutes.")
    assert (await account(session, 1006)) is None
    # the right code was not checked, so it still works from another account
    replies = await emu.say(1007, f"/start {code}", language_code="en")
    assert replies[0]["text"].startswith("Hello, Игорь Николаевич!")
    # five wrong ones and the refused sixth, counted for that account; the right one gave its try back
    tries = dict((await session.execute(select(LinkAttemptWindow.key, LinkAttemptWindow.tries))).all())
    assert tries == {"u1006": 6, "*": 5, "u1007": 0}


async def test_parent_must_consent_before_diary_data(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    code = await code_for(session, Person.parent_ref, "R015")
    replies = await emu.say(1008, f"/start {code}", language_code="ru")
    assert replies[0]["text"] == "Здравствуйте, Елизавета Сергеевна! Вы вошли как: родитель."
    consent = replies[1]
    assert consent["text"].startswith("Согласие на обработку персональных данных")
    # the law is named; the clause of the school's regulation is for docs/roles.md, not for families
    assert "152-ФЗ" in consent["text"] and "3.8" not in consent["text"]
    assert [b[0] for b in emu.buttons(consent)] == ["Принимаю", "Не принимаю"]

    replies = await emu.say(1008, "/help")
    assert "Данные дневника появятся здесь, когда вы дадите согласие" in replies[0]["text"]

    await emu.click(1008, consent, "Принимаю")
    person = await session.scalar(select(Person).where(Person.parent_ref == "R015"))
    await session.refresh(person)
    assert person.consent_at is not None
    assert "Вы дали согласие" in consent["text"]  # the consent message was edited in place
    replies = await emu.say(1008, "/help")
    assert "/privacy" in replies[0]["text"] and "появятся здесь" not in replies[0]["text"]

    replies = await emu.say(1008, "/privacy")
    assert [b[0] for b in emu.buttons(replies[0])] == ["Отозвать согласие"]
    await emu.click(1008, replies[0], "Отозвать согласие")
    await session.refresh(person)
    assert person.consent_at is None and person.consent_declined_at is not None
    actions = list(await session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == person.id)))
    assert actions == ["consent_accepted", "consent_declined"]


async def test_staff_are_not_asked_for_consent(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    code = await code_for(session, Person.staff_ref, "S01")
    await harness.emu.say(1009, f"/start {code}", language_code="en")
    replies = await harness.emu.say(1009, "/privacy")
    assert replies[0]["text"] == "Consent is asked of students and parents only; staff need not give it."


async def test_teacher_who_is_a_parent_gets_both_menus_and_the_consent(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    code = await code_for(session, Person.staff_ref, "S06")
    replies = await harness.emu.say(1010, f"/start {code}", language_code="en")
    assert replies[0]["text"] == "Hello, Наталья Игоревна! You are signed in as: teacher, parent."
    assert replies[1]["text"].startswith("Consent to the processing")


async def test_forged_consent_press_by_a_teacher_is_refused(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    code = await code_for(session, Person.staff_ref, "S07")
    replies = await emu.say(1011, f"/start {code}", language_code="en")
    update_id = await emu.press(1011, replies[-1]["message_id"], ConsentCb(accept=True).pack())
    await emu.wait_processed(update_id)
    assert emu.last(1011)["text"] == "Consent is asked of students and parents only; staff need not give it."
    assert emu.callback_answers[-1]["show_alert"] in (True, "true")


async def test_student_asking_for_codes_is_refused_politely(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    code = await code_for(session, Person.student_ref, "P020")
    await harness.emu.say(1012, f"/start {code}", language_code="en")
    replies = await harness.emu.say(1012, "/codes")
    assert replies[0]["text"] == "This command is not available for your role."
    replies = await harness.emu.say(1012, "/nonsense")
    assert replies[0]["text"] == "I do not know this command. /help lists what you can do."


async def test_tutor_gets_codes_as_message_and_csv(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    code = await code_for(session, Person.staff_ref, "S04")  # class teacher of 7Б
    await emu.say(1013, f"/start {code}", language_code="ru")
    (question,) = await emu.say(1013, "/codes")  # asked first: how many, and keep or cancel the earlier codes
    assert question["text"].startswith("Коды подключения для 7Б\n30 человек ещё не подключились")
    replies = await emu.click(1013, question, "Выдать (выданные раньше тоже действуют)")
    assert replies[0]["text"].startswith("Новые коды подключения, действуют 30 дней")
    assert "7Б" in replies[0]["text"]
    document = replies[-1]["document"]
    content = emu.files[document["file_id"]].content.decode("utf-8-sig")
    assert content.splitlines()[0] == "Человек,Роль,Класс,Ребёнок,Код,Ссылка"
    assert "https://t.me/diary_demo_bot?start=" in content
    assert content.count(",ученик,") + content.count(",ученица,") == 15
    replies = await emu.say(1013, "/codes C5A")
    assert replies[0]["text"] == "Вы можете выдавать коды только обучающимся и родителям своего класса."


async def test_logout_and_linking_from_a_new_account(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    emu = harness.emu
    code = await code_for(session, Person.staff_ref, "S09")
    await emu.say(1014, f"/start {code}", language_code="en")
    assert ("chat:1014", "") in emu.commands

    code = await code_for(session, Person.staff_ref, "S09")
    (question,) = await emu.say(1015, f"/start {code}", language_code="en")
    assert question["text"] == (
        "Рябов Павел Олегович is signed in from another Telegram account; that account will be signed out."
    )
    assert (await account(session, 1014)).person_id is not None, "nothing changes before the yes"
    replies = await emu.click(1015, question, "Yes, sign in")
    assert replies[0]["text"].startswith("Hello, Павел Олегович!")
    assert (await account(session, 1014)).person_id is None
    assert ("chat:1014", "") not in emu.commands, "the old chat's menu is withdrawn"
    assert emu.texts(1014)[-1].startswith("Рябов Павел Олегович signed in to the school diary from another")

    replies = await emu.say(1015, "/logout")
    await emu.click(1015, replies[0], "Cancel")
    assert (await account(session, 1015)).person_id is not None
    replies = await emu.say(1015, "/logout")
    await emu.click(1015, replies[0], "Yes, unlink")
    assert emu.last(1015)["text"].startswith("This Telegram account is unlinked.")
    assert (await account(session, 1015)).person_id is None
    person = await session.scalar(select(Person).where(Person.staff_ref == "S09"))
    actions = list(
        await session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor_person_id == person.id).order_by(AuditEntry.id)
        )
    )
    assert actions == ["linked", "unlinked_by_new_account", "linked", "logout"]


async def test_deactivated_person_cannot_link(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    code = await code_for(session, Person.student_ref, "P030")
    person = await session.scalar(select(Person).where(Person.student_ref == "P030"))
    person.active = False
    await session.commit()
    replies = await harness.emu.say(1016, f"/start {code}", language_code="en")
    assert replies[0]["text"].startswith("This person is no longer active in the school roster.")


async def test_stale_button_gets_an_answer(demo: None, harness: BotHarness) -> None:
    emu = harness.emu
    replies = await emu.say(1017, "/start", language_code="en")
    update_id = await emu.press(1017, replies[0]["message_id"], "something-old")
    await emu.wait_processed(update_id)
    assert emu.callback_answers[-1]["text"] == "This button is no longer active. Send /help."


async def test_default_command_lists_are_set_per_language(demo: None, harness: BotHarness) -> None:
    await harness.emu.say(1018, "/help")
    commands = harness.emu.commands
    assert [c["command"] for c in commands[("all_private_chats", "en")]] == ["start", "help", "language"]
    assert commands[("all_private_chats", "ru")][0]["description"] == "Начать и подключить аккаунт"
    assert ("default", "") not in commands, "groups are offered no commands"


async def test_a_code_from_a_linked_account_asks_before_switching_the_person(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    """A teacher who sends a parent's code is asked, by name, before her account becomes the parent's."""
    emu = harness.emu
    teacher = await code_for(session, Person.staff_ref, "S03")
    await emu.say(1020, f"/start {teacher}", language_code="ru")
    parent = await code_for(session, Person.parent_ref, "R017")
    (question,) = await emu.say(1020, f"/start {parent}")
    assert question["text"] == (
        "Этот аккаунт Telegram подключён как: Соколова Елена Викторовна. "
        "Подключить вместо этого: Романова Дарья Александровна?"
    )
    await emu.click(1020, question, "Нет, оставить как есть")
    assert emu.texts(1020)[-1] == "Ничего не изменилось: аккаунт остался как был."
    staff = await session.scalar(select(Person.id).where(Person.staff_ref == "S03"))
    assert (await account(session, 1020)).person_id == staff
    assert (await emu.say(1020, "/today"))[0]["text"] != "Эта команда недоступна для вашей роли."
    # the parent's code was not used up by the question
    (again,) = await emu.say(1020, f"/start {parent}")
    replies = await emu.click(1020, again, "Да, подключить")
    assert replies[0]["text"] == "Здравствуйте, Дарья Александровна! Вы вошли как: родитель."
    mother = await session.scalar(select(Person.id).where(Person.parent_ref == "R017"))
    assert (await account(session, 1020)).person_id == mother


async def test_a_code_sent_without_start_links_too(demo: None, session: AsyncSession, harness: BotHarness) -> None:
    code = await code_for(session, Person.staff_ref, "S07")
    replies = await harness.emu.say(1010, code.lower(), language_code="en")
    assert replies[0]["text"] == "Hello, Ирина Алексеевна! You are signed in as: teacher."
    assert (await account(session, 1010)) is not None
    # once linked, the same words are just words
    replies = await harness.emu.say(1010, code, language_code="en")
    assert replies[0]["text"] == "I did not understand. /help lists what you can do."


async def test_an_administrator_names_the_class_or_asks_for_the_whole_school(
    demo: None, session: AsyncSession, harness: BotHarness
) -> None:
    emu = harness.emu
    code = await code_for(session, Person.staff_ref, "S01")  # the school's administrator
    await emu.say(1014, f"/start {code}", language_code="ru")
    unused = select(func.count()).select_from(LinkCode).where(LinkCode.used_at.is_(None))
    before = await session.scalar(unused)
    asked = await emu.say(1014, "/codes")
    assert len(asked) == 1 and asked[0]["text"].startswith("Коды подключения — для кого?")
    (question,) = await emu.say(1014, "/codes все")
    assert question["text"].startswith("Коды подключения для всей школы")
    assert await session.scalar(unused) == before, "nothing is issued before the choice is confirmed"
    school = await emu.click(1014, question, "Выдать (выданные раньше тоже действуют)")
    assert school[0]["text"].startswith("Новые коды подключения") and "кодов — в файлах ниже" in school[0]["text"]
    assert [r["document"]["file_name"] for r in school[1:]] == ["Коды подключения.pdf", "Коды подключения.csv"], school
    issued = (await session.scalar(unused) or 0) - (before or 0)
    assert issued > 60 and f"{issued} кодов — в файлах ниже" in school[0]["text"]
