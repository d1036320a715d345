"""Messages whose Russian changes with who reads them and whom they are about.

A parent reads about the child in the third person, the verb in the child's gender («отсутствовал»,
«отсутствовала»), or in a wording without a gendered verb when neither the roster nor the patronymic
tells («отмечено отсутствие»). The student reads about himself in the second person: «ты» in a
school, as a school diary speaks to a child, and «вы» in a college, whose students are nearly adults.
English has one form for all of them.

The forms are gettext contexts of one message: "male", "female" (of the person the message is
about, or of the reader addressed as «вы»), "informal" (addressed as «ты», the gender unknown),
"informal male", "informal female". A form a language does not need is simply not marked, and the
message without a context is used.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from locales.i18n import MessageId, catalog, shown


class Voice(StrEnum):
    THIRD = "third"  # about the student, to a parent or anyone else: names the student
    INFORMAL = "informal"  # to a school's student himself: «ты»
    FORMAL = "formal"  # to a college's student himself: «вы»


def voice_for(*, own: bool, college: bool) -> Voice:
    """How a message about a student speaks to its reader: the student himself, or his family."""
    if not own:
        return Voice.THIRD
    return Voice.FORMAL if college else Voice.INFORMAL


@dataclass(frozen=True)
class Contextual:
    context: str
    message: str


def pgettext(context: str, message: str) -> Contextual:
    """Marks one form of a message for the extractor, which reads pgettext calls with their
    context; it is translated where it is shown."""
    return Contextual(context, message)


class Phrase:
    """A message and the forms (contexts) its translations have."""

    def __init__(self, message: MessageId, *forms: Contextual) -> None:
        assert all(form.message == message for form in forms), "every form is of the same message"
        self.message = message
        self.contexts = frozenset(form.context for form in forms)

    def context_for(self, voice: Voice, sex: str | None) -> str | None:
        word = {"m": "male", "f": "female"}.get(sex or "")
        wanted: list[str] = []
        if voice is Voice.INFORMAL:
            wanted += [f"informal {word}"] if word else []
            wanted.append("informal")
        elif word:
            wanted.append(word)
        return next((c for c in wanted if c in self.contexts), None)


def say(phrase: Phrase | str, locale: str, voice: Voice = Voice.THIRD, sex: str | None = None, **params: Any) -> str:
    """The phrase in the reader's language and form, its parameters filled as the reader reads them
    (dates as words, numbers with the locale's decimal sign)."""
    texts = catalog(locale)
    if isinstance(phrase, Phrase):
        context = phrase.context_for(voice, sex)
        text = texts.pgettext(context, phrase.message) if context else texts.gettext(phrase.message)
    else:
        text = texts.gettext(phrase)
    filled = {k: shown(v, locale) for k, v in params.items()}
    return text.format(**filled) if filled else text
