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


# --- issue 12: asked before issuing, staff codes and the whole school from the bot, grouped sheets --------------


async def test_a_request_counts_now_and_a_stale_one_issues_nothing(demo: None, session: AsyncSession) -> None:
    """What the bot asks before issuing: who gets codes and who holds live ones, counted at the time;
    a confirmation of an older question issues nothing and comes back as the question of now."""
    from services.link_codes import CodeBatch, CodeRequest, ask_codes, issue_requested

    tutor = await link_staff(session, "S03", 81)  # class teacher of 5А
    asked = await ask_codes(session, CodeFilter(), actor=tutor)
    assert (asked.people, asked.holding, asked.live, asked.stamp) == (31, 0, 0, 0)
    assert (asked.class_name, asked.staff) == ("5А", False) and asked.class_id is not None
    first = await issue_requested(
        session, CodeFilter(class_id=asked.class_id), days=30, actor=tutor, replace=False, stamp=0
    )
    assert isinstance(first, CodeBatch) and len(first.codes) == 31 and first.revoked == 0
    stale = await issue_requested(
        session, CodeFilter(class_id=asked.class_id), days=30, actor=tutor, replace=True, stamp=0
    )
    assert isinstance(stale, CodeRequest) and (stale.people, stale.holding, stale.live) == (31, 31, 31)
    assert len(list(await session.scalars(select(LinkCode)))) == 1 + 31, "the stale press issued nothing"
    await linking.link(session, telegram_user_id=82, code_text=first.codes[0].code)
    again = await ask_codes(session, CodeFilter(class_ref="5а"), actor=tutor)
    assert (again.people, again.holding, again.live) == (30, 30, 30), "a linked person is no longer counted"
    replaced = await issue_requested(
        session, CodeFilter(class_id=asked.class_id), days=30, actor=tutor, replace=True, stamp=again.stamp
    )
    assert isinstance(replaced, CodeBatch) and (len(replaced.codes), replaced.revoked) == (30, 30)
    live = await ask_codes(session, CodeFilter(class_id=asked.class_id), actor=tutor)
    assert (live.holding, live.live) == (30, 30), "one live code a person after «cancel the earlier ones»"


async def test_who_may_issue_what_from_the_bot(demo: None, session: AsyncSession) -> None:
    """An administrator: every class, the staff and the whole school; a class teacher: the own class's
    families only, whatever the button says; a teacher: nothing."""
    from services.link_codes import ask_codes, code_targets

    admin, tutor, teacher = [await link_staff(session, ref, n) for ref, n in (("S01", 83), ("S03", 84), ("S07", 85))]
    targets = await code_targets(session, admin)
    assert [name for _id, name in targets.classes] == ["1А", "5А", "7Б", "9В"] and targets.staff and targets.school
    own = await code_targets(session, tutor)
    assert [name for _id, name in own.classes] == ["5А"] and not own.staff and not own.school
    with pytest.raises(NotAllowed):
        await code_targets(session, teacher)
    staff = await ask_codes(session, CodeFilter(staff=True), actor=admin)
    assert staff.staff and staff.people == 6  # nine staff, three of them linked above
    issued = await issue_codes(session, CodeFilter(staff=True), days=30, actor=admin)
    assert len(issued) == 6 and all(c.staff for c in issued)
    scopes = await session.scalars(select(LinkCode.scope).where(LinkCode.issued_by == admin.person.id))  # type: ignore[union-attr]
    assert set(scopes) == {"staff"}
    seven_b = next(cid for cid, name in targets.classes if name == "7Б")
    for flt in (CodeFilter(staff=True), CodeFilter(class_id=seven_b), CodeFilter(class_ref="7Б")):
        with pytest.raises(NotAllowed):
            await ask_codes(session, flt, actor=tutor)
        with pytest.raises(NotAllowed):
            await issue_codes(session, flt, days=30, actor=tutor)


async def test_a_whole_school_comes_class_by_class_then_the_staff(demo: None, session: AsyncSession) -> None:
    admin = await link_staff(session, "S01", 86)
    issued = await issue_codes(session, CodeFilter(), days=30, actor=admin)
    order: list[str | None] = []
    for slip in issued:
        if not order or order[-1] != slip.group:
            order.append(slip.group)
    assert order == ["1А", "5А", "7Б", "9В", None], "each group once, classes in the school's order, staff last"
    assert all(slip.staff for slip in issued if slip.group is None)
    by_name = {slip.full_name: slip for slip in issued}
    assert by_name["Лебедева Наталья Игоревна"].group is None, "a teacher who is a parent: on the staff's pages"
    two = next(slip for slip in issued if len(slip.children) == 2 and slip.class_name == "1А, 5А")
    assert two.group == "1А", "a parent of two classes: with the first class"
    for group in ("1А", "5А", "7Б", "9В"):
        names = [s.full_name for s in issued if s.group == group]
        assert names == sorted(names), "alphabetical within a class"


async def test_a_student_is_told_apart_by_sex(demo: None, session: AsyncSession) -> None:
    """The roster's sex column, else the patronymic: «ученица» on a girl's slip, as the greeting does."""
    girl = await session.scalar(select(Person).where(Person.student_ref == "P028"))  # Васильева Ульяна Николаевна
    boy = await session.scalar(select(Person).where(Person.student_ref == "P002"))  # Семёнов Илья Андреевич
    assert girl is not None and boy is not None
    girl.sex = None  # the roster said nothing: her patronymic tells
    issued = await issue_codes(session, CodeFilter(class_ref="5А", role=Role.STUDENT), days=30, actor=OPERATOR)
    assert next(c for c in issued if c.person_id == girl.id).sex == "f"
    issued = await issue_codes(session, CodeFilter(class_ref="1А", role=Role.STUDENT), days=30, actor=OPERATOR)
    assert next(c for c in issued if c.person_id == boy.id).sex == "m"


async def test_the_administrations_cancel_leaves_no_earlier_code_of_those_roles_working(
    demo: None, session: AsyncSession
) -> None:
    """A code for every role a person has (the demo's, `codes` without --role) links a teacher's staff
    side too: the administrator's "issue and cancel the earlier ones" for the staff cancels it; a class
    teacher's cancel of the family codes leaves such a code alone, it is not theirs."""
    from services.link_codes import ask_codes, issue_codes_for, issue_requested
    from tests.support.journal import act_as, person

    admin = await act_as(session, "S01")
    teacher = await person(session, "S04")
    await issue_codes_for(session, [teacher], days=30, scope=Scope.ALL, actor=OPERATOR)
    staff = CodeFilter(staff=True)
    asked = await ask_codes(session, staff, actor=admin)
    assert asked.holding >= 1
    done = await issue_requested(session, staff, days=30, actor=admin, replace=True, stamp=asked.stamp)
    assert not isinstance(done, type(asked)) and done.revoked >= 1
    await session.commit()
    earlier = list(
        await session.scalars(
            select(LinkCode).where(LinkCode.person_id == teacher.id, LinkCode.scope == Scope.ALL.value)
        )
    )
    assert earlier and all(code.revoked_at is not None for code in earlier)
