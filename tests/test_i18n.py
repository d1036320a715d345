"""The catalogs: every message in the code translated in ru and en, plurals full, .mo files fresh."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
# pgettext marks a form of a message in a context (views/words.py: «отсутствовал» / «отсутствовала»).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "__": None, "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def code_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for package in ("bot", "handlers", "services", "views", "devtools"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def catalog(locale: str):
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def msgid_key(message) -> str | tuple[str, str]:
    return message.id if isinstance(message.id, str) else (message.id[0], message.id[1])


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_message_is_translated(locale: str) -> None:
    entries = [m for m in catalog(locale) if m.id]
    messages = {msgid_key(m) for m in entries}
    missing = [m for m in code_messages() if m not in messages]
    assert not missing, f"not in locales/{locale}: {missing} — run the update commands in the README"
    for message in entries:  # each context's form too
        key = msgid_key(message)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"untranslated in {locale}: {key!r}"
        assert not message.fuzzy, f"fuzzy in {locale}: {key!r}"
        source = key if isinstance(key, str) else key[1]
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source)), (locale, key, text)


def test_russian_plurals_have_all_three_forms() -> None:
    ru = catalog("ru")
    assert ru.num_plurals == 3
    plurals = [m for m in ru if m.id and not isinstance(m.id, str)]
    assert plurals, "the code uses plural messages"
    for message in plurals:
        assert len(message.string) == 3 and all(message.string), message.id


def test_template_matches_the_code() -> None:
    with (LOCALES / "messages.pot").open("rb") as fh:
        template = {msgid_key(m) for m in read_po(fh) if m.id}
    assert template == code_messages(), "locales/messages.pot is stale — run the extract command in the README"


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_compiled_catalogs_are_fresh(locale: str) -> None:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in catalog(locale):
        if not message.id:
            continue
        if message.context:
            found = compiled.pgettext(message.context, message.id)
            assert found == message.string, f"stale .mo in {locale}: {message.context} {message.id!r}"
        elif isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, f"stale .mo in {locale}: {message.id!r}"
        else:
            forms = {1: 0, 3: 1, 7: 2} if locale == "ru" else {1: 0, 3: 1}
            for n, index in forms.items():
                assert compiled.ngettext(message.id[0], message.id[1], n) == message.string[index]


def test_russian_plural_choice() -> None:
    from locales.i18n import translate_plural

    forms = [translate_plural("{count} code issued", "{count} codes issued", n, "ru") for n in (1, 3, 5, 21)]
    assert forms == ["выдан {count} код", "выдано {count} кода", "выдано {count} кодов", "выдан {count} код"]


def test_people_text_equal_to_a_message_id_is_never_translated() -> None:
    """A teacher's comment "Confirm" is the teacher's word, not the button's: it reaches a Russian
    family as written. Only MessageId parameters (what N_() marks) are translated."""
    from locales.i18n import MessageId, translate
    from services.delivery_queue import Push
    from services.errors import N_
    from services.push_content import PushContext
    from views.pushes import render_one

    assert translate("Confirm", "ru") == "Подтвердить", "the word is a message id of the catalog"
    payload = {"student_id": 1, "subject_id": 2, "value": 5, "on_date": "2026-11-23", "comment": "Confirm"}
    text, _files = render_one(Push(1, "grade_created", "grades", payload), PushContext({1: "Аня"}, {2: "Физика"}), "ru")
    assert "Confirm" in text and "Подтвердить" not in text
    assert translate(N_("Class {name} does not study {subject}."), "ru", name="5А", subject="Confirm").endswith(
        "«Confirm»."
    )
    assert isinstance(N_("Seen"), MessageId)
    assert translate(N_("{kind}"), "ru", kind=N_("Confirm")) == "Подтвердить"


def test_no_message_is_hidden_from_the_extractor_inside_an_f_string() -> None:
    """Babel does not look inside f-strings on this Python: a _("…") there is never extracted, and
    its English reaches Russian readers ("no topic" in /journal once did)."""
    import ast

    hidden = []
    for package in ("bot", "handlers", "services", "views", "devtools"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.JoinedStr):
                    continue
                for call in ast.walk(node):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Name)
                        and call.func.id in KEYWORDS
                        and call.args
                        and isinstance(call.args[0], ast.Constant)
                    ):
                        hidden.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not hidden, f"move these calls out of their f-strings: {hidden}"


async def test_the_audit_keeps_codes_not_english_sentences(demo, session, harness) -> None:
    """What the audit stores is data (reason codes, ids, values), never a sentence of the catalog."""
    from sqlalchemy import select

    from models import AuditEntry

    for text in ("/start WRONG-CODE", "/start AAAAA-BBBBB-CCCCC"):
        await harness.emu.say(9301, text, language_code="ru")
    messages = {m.id for m in catalog("en") if m.id and isinstance(m.id, str)}
    entries = list(await session.scalars(select(AuditEntry)))
    assert entries, "refused codes are audited"
    for entry in entries:
        for value in [*(entry.before or {}).values(), *(entry.after or {}).values()]:
            assert not (isinstance(value, str) and value in messages), (entry.action, value)
    assert {e.after["reason"] for e in entries if e.action == "link_refused"} == {"wrong"}
