"""Linking a Telegram account to a person with a code, unlinking, language and consent."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import LinkAttempt, LinkCode, Person, Preference, TelegramAccount
from models.base import utcnow
from services import audit
from services.errors import N_, DiaryError, NotAllowed
from services.link_codes import hash_code, normalize_code
from services.roles import CONSENT_ROLES, Viewer, roles_of

MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW = timedelta(minutes=15)
LOCALES = ("ru", "en")
WHOM_TO_ASK = N_("Students and parents get codes from their class teacher; staff from the school administrator.")


class LinkRefused(DiaryError):
    """A code that cannot link: wrong, used, expired, or too many attempts."""


@dataclass(frozen=True)
class LinkResult:
    viewer: Viewer
    replaced_chat_id: int | None  # the chat the person was linked from before, now unlinked


async def _account(session: AsyncSession, telegram_user_id: int, chat_id: int) -> TelegramAccount:
    account = await session.scalar(select(TelegramAccount).where(TelegramAccount.telegram_user_id == telegram_user_id))
    if account is None:
        account = TelegramAccount(telegram_user_id=telegram_user_id, chat_id=chat_id)
        session.add(account)
        await session.flush()
        session.add(Preference(account_id=account.id))
    account.chat_id = chat_id
    return account


async def _refuse(session: AsyncSession, telegram_user_id: int, message: str) -> LinkRefused:
    """Count the failed attempt and keep it even though the link is refused."""
    now = utcnow()
    await session.execute(
        delete(LinkAttempt).where(
            LinkAttempt.telegram_user_id == telegram_user_id, LinkAttempt.at < now - ATTEMPT_WINDOW
        )
    )
    session.add(LinkAttempt(telegram_user_id=telegram_user_id, at=now))
    audit.record(
        session,
        action="link_refused",
        entity="telegram_account",
        entity_id=None,
        actor_telegram_id=telegram_user_id,
        after={"reason": message},
    )
    await session.commit()
    return LinkRefused(message, whom=WHOM_TO_ASK)


async def link(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    chat_id: int,
    code_text: str,
    language_code: str | None = None,
) -> LinkResult:
    now = utcnow()
    failed = await session.scalar(
        select(func.count())
        .select_from(LinkAttempt)
        .where(
            LinkAttempt.telegram_user_id == telegram_user_id,
            LinkAttempt.at > now - ATTEMPT_WINDOW,
        )
    )
    if (failed or 0) >= MAX_FAILED_ATTEMPTS:
        # Refused without looking at the code, so guessing gains nothing.
        raise LinkRefused(N_("Too many wrong codes. Try again in 15 minutes. {whom}"), whom=WHOM_TO_ASK)
    normalized = normalize_code(code_text)
    code = None
    if normalized:
        code = await session.scalar(select(LinkCode).where(LinkCode.code_hash == hash_code(normalized)))
    if code is None:
        raise await _refuse(
            session,
            telegram_user_id,
            N_("This code is not right. Check it letter by letter and send /start CODE again. {whom}"),
        )
    if code.used_at is not None:
        raise await _refuse(session, telegram_user_id, N_("This code has already been used. Ask for a new one. {whom}"))
    if code.revoked_at is not None or code.expires_at <= now:
        raise await _refuse(session, telegram_user_id, N_("This code has expired. Ask for a new one. {whom}"))
    person = await session.get(Person, code.person_id)
    assert person is not None
    if not person.active:
        raise await _refuse(
            session, telegram_user_id, N_("This person is no longer active in the school roster. {whom}")
        )

    account = await _account(session, telegram_user_id, chat_id)
    replaced_chat_id = None
    previous = await session.scalar(
        select(TelegramAccount).where(TelegramAccount.person_id == person.id, TelegramAccount.id != account.id)
    )
    if previous is not None:
        # One person, one account: linking from a new Telegram account drops the old link.
        previous.person_id = None
        previous.linked_at = None
        replaced_chat_id = previous.chat_id
        audit.record(
            session,
            action="unlinked_by_new_account",
            entity="telegram_account",
            entity_id=previous.id,
            school_id=person.school_id,
            actor_person_id=person.id,
            actor_telegram_id=telegram_user_id,
            before={"telegram_user_id": previous.telegram_user_id},
        )
        await session.flush()
    before = {"person_id": account.person_id} if account.person_id else None
    account.person_id = person.id
    account.linked_at = now
    account.blocked_at = None
    if account.locale is None and language_code in LOCALES:
        account.locale = language_code
    code.used_at = now
    audit.record(
        session,
        action="linked",
        entity="telegram_account",
        entity_id=account.id,
        school_id=person.school_id,
        actor_person_id=person.id,
        actor_telegram_id=telegram_user_id,
        before=before,
        after={"person_id": person.id, "code_id": code.id},
    )
    await session.commit()
    viewer = await roles_of(session, person)
    viewer.telegram_user_id = telegram_user_id
    viewer.account = account
    return LinkResult(viewer=viewer, replaced_chat_id=replaced_chat_id)


async def reachable_again(session: AsyncSession, viewer: Viewer) -> None:
    """Writing /start again after blocking the bot lets pushes flow again."""
    if viewer.account is not None and viewer.account.blocked_at is not None:
        viewer.account.blocked_at = None
        await session.commit()


async def unlink(session: AsyncSession, viewer: Viewer) -> None:
    person = viewer.require_linked()
    assert viewer.account is not None
    viewer.account.person_id = None
    viewer.account.linked_at = None
    audit.record(
        session,
        action="logout",
        entity="telegram_account",
        entity_id=viewer.account.id,
        school_id=person.school_id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        before={"person_id": person.id},
    )
    await session.commit()


async def set_locale(session: AsyncSession, *, telegram_user_id: int, chat_id: int, locale: str) -> None:
    if locale not in LOCALES:
        raise DiaryError(N_("This language is not available. Choose Russian or English."))
    account = await _account(session, telegram_user_id, chat_id)
    account.locale = locale
    await session.commit()


def consent_subject(viewer: Viewer) -> Person:
    """The person whose consent /privacy is about: a linked student or parent."""
    person = viewer.require_linked()
    if not viewer.roles & CONSENT_ROLES:
        raise NotAllowed(N_("Consent is asked of students and parents only; staff need not give it."))
    return person


async def _consent(session: AsyncSession, viewer: Viewer, action: str) -> Person:
    person = consent_subject(viewer)
    before = {"consent_at": person.consent_at.isoformat() if person.consent_at else None}
    now = utcnow()
    if action == "accepted":
        person.consent_at = now
        person.consent_declined_at = None
    else:
        person.consent_at = None
        person.consent_declined_at = now
    audit.record(
        session,
        action=f"consent_{action}",
        entity="person",
        entity_id=person.id,
        school_id=person.school_id,
        actor_person_id=person.id,
        actor_telegram_id=viewer.telegram_user_id,
        before=before,
        after={"consent_at": person.consent_at.isoformat() if person.consent_at else None},
    )
    await session.commit()
    return person


async def accept_consent(session: AsyncSession, viewer: Viewer) -> Person:
    return await _consent(session, viewer, "accepted")


async def decline_consent(session: AsyncSession, viewer: Viewer) -> Person:
    """Declining and withdrawing are the same for the diary: no data until accepted again."""
    return await _consent(session, viewer, "declined")
