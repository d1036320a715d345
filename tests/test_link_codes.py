"""Link codes: readable, strong, stored as a hash, single use, expiring, revocable, scoped."""

import asyncio
import math
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import LinkCode, Person
from models.base import utcnow
from services import link_attempts, linking
from services.errors import NotAllowed
from services.link_attempts import PER_ACCOUNT
from services.link_codes import ALPHABET, CODE_LENGTH, CodeFilter, generate_code, issue_codes, revoke_codes
from services.roles import Role, Scope, load_viewer
from tests.support.bot import OPERATOR


def test_codes_are_readable_and_strong() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 60
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", c) for c in codes)


async def test_class_codes_go_to_students_and_parents_not_yet_linked(demo: None, session: AsyncSession) -> None:
    issued = await issue_codes(session, CodeFilter(class_ref="C5A"), days=30, actor=OPERATOR)
    await session.commit()
    roles = {r for c in issued for r in c.roles}
    assert roles <= {Role.STUDENT, Role.PARENT, Role.TEACHER} and Role.STUDENT in roles
    assert sum(Role.STUDENT in c.roles for c in issued) == 15
    assert all(c.class_name and "5А" in c.class_name for c in issued)
    stored = list(await session.scalars(select(LinkCode)))
    assert len(stored) == len(issued)
    plain = {c.code for c in issued} | {c.code.replace("-", "") for c in issued}
    assert not plain & {s.code_hash for s in stored}, "only hashes are stored"

    await linking.link(session, telegram_user_id=5, code_text=issued[0].code)
    await session.commit()
    again = await issue_codes(session, CodeFilter(class_ref="C5A"), days=30, actor=OPERATOR)
    await session.commit()
    assert len(again) == len(issued) - 1


async def test_role_and_school_filters(demo: None, session: AsyncSession) -> None:
    staff = await issue_codes(session, CodeFilter(school="L1", role=Role.TEACHER), days=30, actor=OPERATOR)
    await session.commit()
    assert len(staff) == 8 and all(Role.TEACHER in c.roles for c in staff)
    admins = await issue_codes(session, CodeFilter(role=Role.ADMIN), days=30, actor=OPERATOR)
    await session.commit()
    assert {c.full_name for c in admins} == {"Белова Галина Петровна", "Крылов Виктор Андреевич"}


async def test_issuing_again_keeps_printed_codes_and_revoke_says_so(demo: None, session: AsyncSession) -> None:
    first = await issue_codes(session, CodeFilter(role=Role.ADMIN), days=30, actor=OPERATOR)
    await session.commit()
    second = await issue_codes(session, CodeFilter(role=Role.ADMIN), days=30, actor=OPERATOR)
    await session.commit()
    # a sheet printed earlier still works; once one code links, the person's other codes stop
    await linking.link(session, telegram_user_id=7, code_text=first[0].code)
    await session.commit()
    with pytest.raises(linking.LinkRefused) as refused:
        await linking.link(session, telegram_user_id=8, code_text=second[0].code)
    assert refused.value.message.startswith("This code was cancelled by the school")
    assert await revoke_codes(session, CodeFilter(role=Role.ADMIN), actor=OPERATOR) == 2  # the other admin's two
    assert await revoke_codes(session, CodeFilter(role=Role.ADMIN), actor=OPERATOR) == 0
    await session.commit()
    with pytest.raises(linking.LinkRefused) as refused:
        await linking.link(session, telegram_user_id=9, code_text=first[1].code)
    assert refused.value.message.startswith("This code was cancelled by the school")


async def test_code_is_single_use_case_and_dash_insensitive(demo: None, session: AsyncSession) -> None:
    code = (await issue_codes(session, CodeFilter(class_ref="C7B", role=Role.STUDENT), days=30, actor=OPERATOR))[0].code
    await session.commit()
    result = await linking.link(session, telegram_user_id=11, code_text=code.lower().replace("-", " "))
    await session.commit()
    assert Role.STUDENT in result.viewer.roles
    with pytest.raises(linking.LinkRefused) as refused:
        await linking.link(session, telegram_user_id=12, code_text=code)
    assert refused.value.message.startswith("This code has already been used")


async def test_expired_code_is_refused(demo: None, session: AsyncSession) -> None:
    code = (await issue_codes(session, CodeFilter(class_ref="C7B", role=Role.STUDENT), days=30, actor=OPERATOR))[0].code
    await session.commit()
    await session.execute(update(LinkCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    with pytest.raises(linking.LinkRefused) as refused:
        await linking.link(session, telegram_user_id=13, code_text=code)
    assert refused.value.message.startswith("This code has expired")


async def link_staff(session: AsyncSession, ref: str, user_id: int):
    person = await session.scalar(select(Person).where(Person.staff_ref == ref))
    from services.link_codes import issue_codes_for

    code = (await issue_codes_for(session, [person], days=1, actor=OPERATOR))[0].code
    await session.commit()
    await linking.link(session, telegram_user_id=user_id, code_text=code)
    await session.commit()
    return await load_viewer(session, user_id)


async def test_tutor_issues_codes_for_own_class_only(demo: None, session: AsyncSession) -> None:
    tutor = await link_staff(session, "S03", 21)  # class teacher of 5А
    issued = await issue_codes(session, CodeFilter(), days=30, actor=tutor)
    await session.commit()
    assert issued and all("5А" in (c.class_name or "") for c in issued)
    with pytest.raises(NotAllowed):
        await issue_codes(session, CodeFilter(class_ref="C7B"), days=30, actor=tutor)
    with pytest.raises(NotAllowed):
        await issue_codes(session, CodeFilter(role=Role.TEACHER), days=30, actor=tutor)


async def test_plain_teacher_cannot_issue_codes(demo: None, session: AsyncSession, actor=OPERATOR) -> None:
    teacher = await link_staff(session, "S07", 22)
    with pytest.raises(NotAllowed):
        await issue_codes(session, CodeFilter(class_ref="C5A"), days=30, actor=teacher)


async def test_admin_issues_codes_for_any_class(demo: None, session: AsyncSession) -> None:
    admin = await link_staff(session, "S01", 23)
    issued = await issue_codes(session, CodeFilter(class_ref="C9V"), days=30, actor=admin)
    await session.commit()
    assert sum(Role.STUDENT in c.roles for c in issued) == 15


async def test_tutor_code_of_a_teacher_who_is_a_parent_links_the_family_side_only(
    demo: None, session: AsyncSession
) -> None:
    """Hole 1: S06 teaches and is the mother of P050 in 9В, whose class teacher is S05."""
    from services.link_codes import issue_codes_for

    teacher = await session.scalar(select(Person).where(Person.staff_ref == "S06"))
    admin_code = (await issue_codes_for(session, [teacher], days=30, scope=Scope.STAFF, actor=OPERATOR))[0].code
    await session.commit()
    tutor = await link_staff(session, "S05", 31)
    issued = await issue_codes(session, CodeFilter(), days=30, actor=tutor)
    await session.commit()
    mother = next(c for c in issued if c.full_name == teacher.full_name)
    assert mother.roles == (Role.PARENT,), "the tutor's list shows the family side only"
    stored = await session.scalar(select(LinkCode).where(LinkCode.person_id == teacher.id, LinkCode.scope == "family"))
    assert stored is not None

    # the tutor links the mother's code from a second account: a parent, never a teacher
    result = await linking.link(session, telegram_user_id=32, code_text=mother.code)
    await session.commit()
    assert result.viewer.roles == {Role.PARENT}
    viewer = await load_viewer(session, 32)
    assert viewer.roles == {Role.PARENT} and not viewer.tutor_class_ids
    with pytest.raises(NotAllowed):
        viewer.require_any(Role.TEACHER)

    # the administrator's printed staff code was not revoked by the tutor's issue, and it takes
    # the person back; the tutor's family code cannot then take the teacher's link away
    asked = await linking.link(session, telegram_user_id=33, code_text=admin_code)
    assert asked.viewer is None and asked.needs_confirmation is not None, "taking a link over is asked first"
    assert asked.needs_confirmation.linked_elsewhere and asked.needs_confirmation.current is None
    staff = await linking.link(session, telegram_user_id=33, code_text=admin_code, confirmed=True)
    assert staff.viewer is not None
    await session.commit()
    assert Role.TEACHER in staff.viewer.roles and Role.PARENT not in staff.viewer.roles
    assert staff.replaced_chat_id == 32
    again = await issue_codes(session, CodeFilter(), days=30, actor=tutor)
    await session.commit()
    family_again = next(c for c in again if c.full_name == teacher.full_name).code
    with pytest.raises(linking.LinkRefused) as refused:
        await linking.link(session, telegram_user_id=32, code_text=family_again)
    assert "already linked from another Telegram account as staff" in refused.value.message
    assert Role.TEACHER in (await load_viewer(session, 33)).roles

    # the teacher herself adds the family side on her own account: she then holds both
    both = await linking.link(session, telegram_user_id=33, code_text=family_again)
    await session.commit()
    assert {Role.TEACHER, Role.PARENT} <= both.viewer.roles


async def test_tutor_cannot_issue_staff_codes_in_any_form(demo: None, session: AsyncSession) -> None:
    tutor = await link_staff(session, "S03", 41)
    for role in (Role.TEACHER, Role.ADMIN, Role.TUTOR):
        with pytest.raises(NotAllowed):
            await issue_codes(session, CodeFilter(role=role), days=30, actor=tutor)
    issued = await issue_codes(session, CodeFilter(), days=30, actor=tutor)
    await session.commit()
    assert tutor.person is not None
    by_tutor = await session.scalars(select(LinkCode.scope).where(LinkCode.issued_by == tutor.person.id))
    assert set(by_tutor) == {"family"}
    assert all(set(c.roles) <= {Role.STUDENT, Role.PARENT} for c in issued)


async def _try_wrong_codes(sessionmaker, users: list[int]) -> list[str]:
    async def one(user: int, n: int) -> str:
        async with sessionmaker() as own:
            try:
                await linking.link(own, telegram_user_id=user, code_text=f"WRONG-{n:05d}")
            except linking.LinkRefused as refused:
                await own.commit()  # as the update's runner does: the refusal keeps its count
                return refused.message
        return "linked"

    return list(await asyncio.gather(*(one(user, n) for n, user in enumerate(users))))


async def test_parallel_wrong_codes_from_one_account_are_checked_five_times(demo: None, sessionmaker) -> None:
    """Hole 5: fifty quick wrong codes from one account; the count is atomic, so five are checked."""
    answers = await _try_wrong_codes(sessionmaker, [51] * 50)
    checked = [a for a in answers if a.startswith("This code is not right")]
    refused = [a for a in answers if a.startswith("Too many wrong codes")]
    assert (len(checked), len(refused)) == (PER_ACCOUNT, 50 - PER_ACCOUNT)


async def test_a_spray_of_one_guess_per_account_is_capped(
    demo: None, sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(link_attempts, "ACROSS_ACCOUNTS", 12)
    answers = await _try_wrong_codes(sessionmaker, list(range(60, 90)))
    assert sum(a.startswith("This code is not right") for a in answers) == 12
    assert sum(a.startswith("Too many wrong codes") for a in answers) == 18


async def test_the_demo_links_accounts_without_quiet_hours(
    demo: None, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A school's new account gets 21:00–07:30; the demo, watched live, gets none."""
    from dataclasses import replace

    from models import Preference, TelegramAccount
    from services import tunables
    from services.link_codes import issue_codes_for

    people = list(await session.scalars(select(Person).where(Person.staff_ref.in_(("S07", "S09")))))
    school, demo_code = [c.code for c in await issue_codes_for(session, people, days=1, actor=OPERATOR)]
    await linking.link(session, telegram_user_id=71, code_text=school)
    monkeypatch.setattr(tunables, "current", replace(tunables.current, quiet_by_default=False))
    await linking.link(session, telegram_user_id=72, code_text=demo_code)
    await session.commit()
    quiet = dict(
        (
            await session.execute(
                select(TelegramAccount.telegram_user_id, Preference.quiet_from).join(
                    Preference, Preference.account_id == TelegramAccount.id
                )
            )
        ).all()
    )
    assert quiet[71] is not None and quiet[72] is None
