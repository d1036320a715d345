"""Domain errors: a message id (translated by the front end) and its parameters."""

from typing import Any

from locales.i18n import MessageId


def N_(message: str) -> MessageId:
    """Mark a message for extraction; it is translated where it is shown, and as a parameter of
    another message it is translated too (people's own text never is)."""
    return MessageId(message)


class DiaryError(Exception):
    """Something the user asked for cannot be done; nothing was changed."""

    # A refusal that is itself recorded (a wrong link code is counted): the runner commits what the
    # service wrote before raising, instead of rolling it back. The one named exception to
    # "an error changes nothing".
    keeps_record = False

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotAllowed(DiaryError):
    """The person's roles do not allow this action."""


class NotFound(DiaryError):
    """The thing asked about does not exist or is out of the person's reach."""


class NotLinked(DiaryError):
    """The Telegram account is not linked to a person yet."""


class ConsentRequired(DiaryError):
    """A student or parent has not accepted the processing of personal data."""
