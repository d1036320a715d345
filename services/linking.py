"""Linking a Telegram account to a person with a code, unlinking, language and consent."""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import LinkCode, Person, Preference, TelegramAccount
from models.base import utcnow
from services import audit, link_attempts, tunables
from services.errors import N_, DiaryError, NotAllowed
from services.link_codes import hash_code, normalize_code
from services.roles import CONSENT_ROLES, STAFF_ROLES, Scope, Viewer, roles_of, within_scope

LOCALES = ("ru", "en")
WHOM_TO_ASK = N_("Students and parents get codes from their class teacher; staff from the school administrator.")
REFUSALS = {
    "wrong": N_("This code is not right. Check it letter by letter and send /start CODE again. {whom}"),
    "used": N_("This code has already been used. Ask for a new one. {whom}"),
    "revoked": N_("This code was cancelled by the school. Ask for a new one. {whom}"),
    "expired": N_("This code has expired. Ask for a new one. {whom}"),
    "inactive": N_("This person is no longer active in the school roster. {whom}"),
    "narrower": N_(
        "This person is already linked from another Telegram account as staff, and a class teacher's "
        "code cannot move that link. Ask the school administrator. {whom}"
    ),
}


class LinkRefused(DiaryError):
    """A code that cannot link: wrong, used, expired, or too many attempts. The try is counted and
    audited in the update's own transaction, which is committed although the link is refused."""

    keeps_record = True


@dataclass(frozen=True)
class Replacement:
    """What a link would undo, to be confirmed first: the person this account holds now, and
    whether the code's person is linked from another Telegram account (which would lose it)."""

    current: Person | None
    linked_elsewhere: bool
    incoming: Person


@dataclass(frozen=True)
class LinkResult:
    viewer: Viewer | None  # None while a replacement waits for confirmation
    replaced_chat_id: int | None = None  # the chat the person was linked from before, now unlinked
    replaced_locale: str | None = None
    needs_confirmation: Replacement | None = None


async def _account(session: AsyncSession, telegram_user_id: int) -> TelegramAccount:
    account = await session.scalar(select(TelegramAccount).where(TelegramAccount.telegram_user_id == telegram_user_id))
    if account is None:
        # A private chat's id is its user's id; an account's chat is never a group (pushes go there).
        account = TelegramAccount(telegram_user_id=telegram_user_id, chat_id=telegram_user_id)
        session.add(account)
        await session.flush()
        preference = Preference(account_id=account.id)
        session.add(preference)
        if not tunables.current.quiet_by_default:
            await session.flush()  # the column defaults fill quiet hours in; the demo takes them out
            preference.quiet_from = preference.quiet_to = None
    account.chat_id = telegram_user_id
    return account


async def _refuse(session: AsyncSession, telegram_user_id: int, reason: str) -> LinkRefused:
    """The refusal is audited; LinkRefused keeps the record (and the counted try) when raised."""
    audit.record(
        session,
        action="link_refused",
        entity="telegram_account",
        entity_id=None,
        actor_telegram_id=telegram_user_id,
        after={"reason": reason},
    )
    await session.flush()
    return LinkRefused(REFUSALS[reason], whom=WHOM_TO_ASK)


async def _holds(session: AsyncSession, telegram_user_id: int, person_id: int) -> bool:
    """This Telegram account is linked to that person now."""
    held = await session.scalar(
        select(TelegramAccount.person_id).where(TelegramAccount.telegram_user_id == telegram_user_id)
    )
    return held == person_id


async def _usable_code(session: AsyncSession, telegram_user_id: int, code_text: str) -> tuple[LinkCode, Person]:
    """The code and its person, or the refusal. Reads only: a refusal's audit is written apart."""
    normalized = normalize_code(code_text)
    code = None
    if normalized:
        code = await session.scalar(select(LinkCode).where(LinkCode.code_hash == hash_code(normalized)))
    if code is None:
        raise await _refuse(session, telegram_user_id, "wrong")
    if code.used_at is not None:
        if await _holds(session, telegram_user_id, code.person_id):
            # The person's own code sent again from the account it linked: nothing is wrong.
            raise DiaryError(N_("This code has already linked this Telegram account: you are in the diary. /help"))
        raise await _refuse(session, telegram_user_id, "used")
    if code.revoked_at is not None:
        raise await _refuse(session, telegram_user_id, "revoked")
    if code.expires_at <= utcnow():
        raise await _refuse(session, telegram_user_id, "expired")
    person = await session.get(Person, code.person_id)
    assert person is not None
    if not person.active:
        raise await _refuse(session, telegram_user_id, "inactive")
    return code, person


async def _scope_after_link(session: AsyncSession, telegram_user_id: int, person: Person, code: LinkCode) -> Scope:
    """What the account will hold. A new account takes a person's link over, but a family code
    never takes a staff link away: only the administrator's code moves a teacher's account."""
    scope = Scope(code.scope)
    accounts = await session.scalars(select(TelegramAccount).where(TelegramAccount.person_id == person.id))
    for linked in accounts:
        held = Scope(linked.scope or Scope.ALL)
        if linked.telegram_user_id == telegram_user_id:
            scope = scope.union(held)  # the same person adding a side: a teacher who is also a parent
        elif (held.roles - scope.roles) & STAFF_ROLES:
            raise await _refuse(session, telegram_user_id, "narrower")
    return scope


async def _replacement(session: AsyncSession, telegram_user_id: int, person: Person) -> Replacement | None:
    account = await session.scalar(select(TelegramAccount).where(TelegramAccount.telegram_user_id == telegram_user_id))
    current = None
    if account is not None and account.person_id is not None and account.person_id != person.id:
        current = await session.get(Person, account.person_id)
    elsewhere = await session.scalar(
        select(TelegramAccount.id).where(
            TelegramAccount.person_id == person.id, TelegramAccount.telegram_user_id != telegram_user_id
        )
    )
    if current is None and elsewhere is None:
        return None
    return Replacement(current, elsewhere is not None, person)


async def _unlink_previous(session: AsyncSession, person: Person, account: TelegramAccount) -> TelegramAccount | None:
    """One person, one account: the old account loses the link; returns it (its chat, its language)."""
    previous = await session.scalar(
        select(TelegramAccount).where(TelegramAccount.person_id == person.id, TelegramAccount.id != account.id)
    )
    if previous is None:
        return None
    previous.person_id = None
    previous.linked_at = None
    previous.scope = None
    audit.record(
        session,
        action="unlinked_by_new_account",
        entity="telegram_account",
        entity_id=previous.id,
        school_id=person.school_id,
        actor_person_id=person.id,
        actor_telegram_id=account.telegram_user_id,
        before={"telegram_user_id": previous.telegram_user_id},
    )
    await session.flush()
    return previous


async def link(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    code_text: str,
    language_code: str | None = None,
    confirmed: bool = False,
) -> LinkResult:
    """Link this Telegram account to the code's person, for the roles the code carries. When that
    would replace the person this account holds, or take the person from another account, nothing
    is linked until the same code comes back `confirmed`."""
    counted = await link_attempts.count_try(session, telegram_user_id)
    if not counted.allowed:
        # Refused without looking at the code, so guessing gains nothing.
        raise LinkRefused(N_("Too many wrong codes. Try again in 15 minutes. {whom}"), whom=WHOM_TO_ASK)
    code, person = await _usable_code(session, telegram_user_id, code_text)
    scope = await _scope_after_link(session, telegram_user_id, person, code)
    await link_attempts.give_back(session, counted)
    if not confirmed:
        replacement = await _replacement(session, telegram_user_id, person)
        if replacement is not None:
            # Never switch or unlink anyone without a yes that names who is replaced.
            return LinkResult(viewer=None, needs_confirmation=replacement)
    now = utcnow()
    account = await _account(session, telegram_user_id)
    previous = await _unlink_previous(session, person, account)
    before = {"person_id": account.person_id, "scope": account.scope} if account.person_id else None
    account.person_id = person.id
    account.scope = scope.value
    account.linked_at = now
    account.blocked_at = None
    if account.locale is None and language_code in LOCALES:
        account.locale = language_code
    code.used_at = now
    # Codes printed earlier for what this account now holds could only take the link away.
    await session.execute(
        update(LinkCode)
        .where(
            LinkCode.person_id == person.id,
            LinkCode.id != code.id,
            LinkCode.used_at.is_(None),
            LinkCode.revoked_at.is_(None),
            LinkCode.scope.in_([s.value for s in Scope if scope.covers(s)]),
        )
        .values(revoked_at=now)
    )
    audit.record(
        session,
        action="linked",
        entity="telegram_account",
        entity_id=account.id,
        school_id=person.school_id,
        actor_person_id=person.id,
        actor_telegram_id=telegram_user_id,
        before=before,
        after={"person_id": person.id, "code_id": code.id, "scope": scope.value},
    )
    await session.flush()
    viewer = within_scope(await roles_of(session, person), scope)
    viewer.telegram_user_id = telegram_user_id
    viewer.account = account
    if previous is None:
        return LinkResult(viewer=viewer)
    return LinkResult(viewer=viewer, replaced_chat_id=previous.chat_id, replaced_locale=previous.locale)


async def reachable_again(session: AsyncSession, viewer: Viewer) -> None:
    """Writing to the bot (anything, not only /start) after a failed send lets pushes flow again."""
    if viewer.account is not None and viewer.account.blocked_at is not None:
        viewer.account.blocked_at = None
        await session.flush()


async def unlink(session: AsyncSession, viewer: Viewer) -> None:
    person = viewer.require_linked()
    assert viewer.account is not None
    viewer.account.person_id = None
    viewer.account.linked_at = None
    viewer.account.scope = None
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
    await session.flush()


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise DiaryError(N_("This language is not available. Choose Russian or English."))
    return locale


async def set_locale(session: AsyncSession, viewer: Viewer, locale: str) -> bool:
    """Store the language on the account; False for someone who never linked, who has no account
    row and gets none for a button press (the caller keeps the choice with the conversation)."""
    check_locale(locale)
    if viewer.account is None:
        return False
    viewer.account.locale = locale
    await session.flush()
    return True


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
    await session.flush()
    return person


async def accept_consent(session: AsyncSession, viewer: Viewer) -> Person:
    return await _consent(session, viewer, "accepted")


async def decline_consent(session: AsyncSession, viewer: Viewer) -> Person:
    """Declining and withdrawing are the same for the diary: no data until accepted again."""
    return await _consent(session, viewer, "declined")
