"""Link codes: readable, strong, stored as a hash, single use, expiring, revocable, scoped."""

import math
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import LinkCode, Person
from models.base import utcnow
from services import linking
from services.errors import NotAllowed
from services.link_codes import ALPHABET, CODE_LENGTH, CodeFilter, generate_code, issue_codes, revoke_codes
from services.roles import Role, load_viewer


def test_codes_are_readable_and_strong() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 60
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", c) for c in codes)


async def test_class_codes_go_to_students_and_parents_not_yet_linked(demo: None, session: AsyncSession) -> None:
    issued = await issue_codes(session, CodeFilter(class_ref="C5A"), days=30)
    roles = {r for c in issued for r in c.roles}
    assert roles <= {Role.STUDENT, Role.PARENT, Role.TEACHER} and Role.STUDENT in roles
    assert sum(Role.STUDENT in c.roles for c in issued) == 15
    assert all(c.class_name and "5А" in c.class_name for c in issued)
    stored = list(await session.scalars(select(LinkCode)))
    assert len(stored) == len(issued)
    plain = {c.code for c in issued} | {c.code.replace("-", "") for c in issued}
    assert not plain & {s.code_hash for s in stored}, "only hashes are stored"

    await linking.link(session, telegram_user_id=5, chat_id=5, code_text=issued[0].code)
    again = await issue_codes(session, CodeFilter(class_ref="C5A"), days=30)
    assert len(again) == len(issued) - 1


async def test_role_and_school_filters(demo: None, session: AsyncSession) -> None:
    staff = await issue_codes(session, CodeFilter(school="L1", role=Role.TEACHER), days=30)
    assert len(staff) == 8 and all(Role.TEACHER in c.roles for c in staff)
    admins = await issue_codes(session, CodeFilter(role=Role.ADMIN), days=30)
    assert {c.full_name for c in admins} == {"Белова Галина Петровна", "Крылов Виктор Андреевич"}


async def test_new_code_replaces_the_old_and_revoke_works(demo: None, session: AsyncSession) -> None:
    first = (await issue_codes(session, CodeFilter(role=Role.ADMIN), days=30))[0]
    await issue_codes(session, CodeFilter(role=Role.ADMIN), days=30)
    with pytest.raises(linking.LinkRefused) as refused:
        await linking.link(session, telegram_user_id=7, chat_id=7, code_text=first.code)
    assert refused.value.message.startswith("This code has expired")
    assert await revoke_codes(session, CodeFilter(role=Role.ADMIN)) == 2
    assert await revoke_codes(session, CodeFilter(role=Role.ADMIN)) == 0


async def test_code_is_single_use_case_and_dash_insensitive(demo: None, session: AsyncSession) -> None:
    code = (await issue_codes(session, CodeFilter(class_ref="C7B", role=Role.STUDENT), days=30))[0].code
    result = await linking.link(session, telegram_user_id=11, chat_id=11, code_text=code.lower().replace("-", " "))
    assert Role.STUDENT in result.viewer.roles
    with pytest.raises(linking.LinkRefused) as refused:
        await linking.link(session, telegram_user_id=12, chat_id=12, code_text=code)
    assert refused.value.message.startswith("This code has already been used")


async def test_expired_code_is_refused(demo: None, session: AsyncSession) -> None:
    code = (await issue_codes(session, CodeFilter(class_ref="C7B", role=Role.STUDENT), days=30))[0].code
    await session.execute(update(LinkCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    with pytest.raises(linking.LinkRefused) as refused:
        await linking.link(session, telegram_user_id=13, chat_id=13, code_text=code)
    assert refused.value.message.startswith("This code has expired")


async def link_staff(session: AsyncSession, ref: str, user_id: int):
    person = await session.scalar(select(Person).where(Person.staff_ref == ref))
    from services.link_codes import issue_codes_for

    code = (await issue_codes_for(session, [person], days=1))[0].code
    await linking.link(session, telegram_user_id=user_id, chat_id=user_id, code_text=code)
    return await load_viewer(session, user_id)


async def test_tutor_issues_codes_for_own_class_only(demo: None, session: AsyncSession) -> None:
    tutor = await link_staff(session, "S03", 21)  # class teacher of 5А
    issued = await issue_codes(session, CodeFilter(), days=30, actor=tutor)
    assert issued and all("5А" in (c.class_name or "") for c in issued)
    with pytest.raises(NotAllowed):
        await issue_codes(session, CodeFilter(class_ref="C7B"), days=30, actor=tutor)
    with pytest.raises(NotAllowed):
        await issue_codes(session, CodeFilter(role=Role.TEACHER), days=30, actor=tutor)


async def test_plain_teacher_cannot_issue_codes(demo: None, session: AsyncSession) -> None:
    teacher = await link_staff(session, "S07", 22)
    with pytest.raises(NotAllowed):
        await issue_codes(session, CodeFilter(class_ref="C5A"), days=30, actor=teacher)


async def test_admin_issues_codes_for_any_class(demo: None, session: AsyncSession) -> None:
    admin = await link_staff(session, "S01", 23)
    issued = await issue_codes(session, CodeFilter(class_ref="C9V"), days=30, actor=admin)
    assert sum(Role.STUDENT in c.roles for c in issued) == 15
