"""Issuing and revoking link codes: readable, single use, expiring, stored only as a hash."""

import dataclasses
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import (
    Guardianship,
    LinkCode,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    Student,
    TelegramAccount,
)
from models.base import utcnow
from services import audit
from services.class_names import class_name_form
from services.errors import N_, NotAllowed, NotFound
from services.family import sex_of
from services.roles import STAFF_ROLES, Role, Scope, Viewer, scope_for_role

# No 0/O, 1/I/L: a code is read aloud and typed from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 15  # 15 × log2(31) ≈ 74 bits
GROUP = 5


def generate_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalize_code(text: str) -> str:
    """What a person typed, as the code it means: case, spaces and dashes do not matter."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def looks_like_code(text: str) -> bool:
    """A message that is a link code on its own (sent without /start): 15 of the code's letters."""
    code = normalize_code(text)
    return len(text) <= 40 and len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def hash_code(text: str) -> str:
    return hashlib.sha256(normalize_code(text).encode()).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    person_id: int
    full_name: str
    roles: tuple[Role, ...]
    class_name: str | None
    code: str
    children: tuple[str, ...] = ()  # a parent's children, "Романова Алина, 5А", so the right code goes home
    school: str = ""  # the school's name, printed on the person's slip
    sex: str | None = None  # "m", "f" (the roster's, else the patronymic's), None: unknown; «ученица» or «ученик»
    group: str | None = None  # the class whose teacher hands the slip out; None: staff, or of no class

    @property
    def staff(self) -> bool:
        return bool(STAFF_ROLES & set(self.roles))

    @property
    def whose(self) -> str | None:
        """Where the code goes: a parent's children, else the person's class."""
        return "; ".join(self.children) or self.class_name


@dataclass(frozen=True)
class CodeFilter:
    school: str | None = None  # the roster's school_id
    class_ref: str | None = None  # the roster's class_id, or the class's name as people write it
    role: Role | None = None
    class_id: int | None = None  # the class by its id, as a button carries it
    staff: bool = False  # everyone with a staff role (administrators, teachers, class teachers): staff codes


@dataclass(frozen=True)
class CodeRequest:
    """Who would get a code if the filter were issued now, asked before issuing: a press does not
    pile a new set of live codes on the earlier ones unseen."""

    people: int  # not linked yet for the codes' side
    holding: int  # of them, those who hold an unused code that has not expired
    live: int  # those codes: what `replace` cancels
    stamp: int  # the newest code of these people (0: none); an issue asked before a newer one is asked again
    class_id: int | None  # the class the filter names (a class teacher's own when not named)
    class_name: str | None
    staff: bool  # staff codes; neither a class nor staff: the whole school


@dataclass(frozen=True)
class CodeBatch:
    codes: list[IssuedCode]
    revoked: int  # the earlier unused codes cancelled first (`replace`)


@dataclass(frozen=True)
class CodeTargets:
    """What a person may issue codes for in the bot: classes (in the school's order), and for the
    administrator staff codes and the whole school."""

    classes: list[tuple[int, str]]
    staff: bool
    school: bool


def _administrators_scope(flt: CodeFilter) -> Scope:
    """A class's sheet is for its families, whoever prints it: a teacher who is also a parent in the
    class gets a parent's code there, and her staff code from the staff sheet."""
    if flt.staff:
        return Scope.STAFF
    if flt.role is None and (flt.class_ref is not None or flt.class_id is not None):
        return Scope.FAMILY
    return scope_for_role(flt.role)


async def _scope_for(session: AsyncSession, actor: Viewer, flt: CodeFilter) -> tuple[CodeFilter, Scope]:
    """Tutors hand codes to their own class's families only, and those codes link no staff role;
    staff codes come from the administrator alone (002 §3.1, 004 §3.10)."""
    if actor.operator:
        return flt, _administrators_scope(flt)
    actor.require_any(Role.ADMIN, Role.TUTOR)
    assert actor.school is not None
    flt = dataclasses.replace(flt, school=actor.school.external_id)
    if Role.ADMIN in actor.roles:
        return flt, _administrators_scope(flt)
    if flt.staff or flt.role in STAFF_ROLES:
        raise NotAllowed(N_("Staff get their codes from the school administrator."))
    own = list(await session.scalars(select(SchoolClass).where(SchoolClass.id.in_(actor.tutor_class_ids))))
    if flt.class_ref is None and flt.class_id is None and len(own) == 1:
        flt = dataclasses.replace(flt, class_id=own[0].id)
    wanted = flt.class_ref or ""
    if not any(
        c.id == flt.class_id or wanted in (c.external_id, c.name) or class_name_form(wanted) == c.name for c in own
    ):
        raise NotAllowed(N_("You can issue codes only for the students and parents of your own class."))
    return flt, Scope.FAMILY


def _people_query(flt: CodeFilter, scope: Scope, school_ids: list[int], class_ids: list[int] | None) -> Select:
    query = select(Person).where(Person.active.is_(True), Person.school_id.in_(school_ids))
    students_in_class = select(Student.person_id)
    parents_in_class = select(Guardianship.parent_id).join(Student, Student.id == Guardianship.student_id)
    if class_ids is not None:
        students_in_class = students_in_class.where(Student.class_id.in_(class_ids))
        parents_in_class = parents_in_class.where(Student.class_id.in_(class_ids), Guardianship.active.is_(True))
    role_clauses = {
        Role.STUDENT: Person.id.in_(students_in_class),
        Role.PARENT: Person.id.in_(parents_in_class),
        Role.ADMIN: Person.id.in_(select(RoleGrant.person_id).where(RoleGrant.role == "admin")),
        Role.TEACHER: Person.id.in_(select(RoleGrant.person_id).where(RoleGrant.role == "teacher")),
        Role.TUTOR: Person.id.in_(select(SchoolClass.tutor_id).where(SchoolClass.tutor_id.is_not(None))),
    }
    if flt.staff:
        query = query.where(or_(*(role_clauses[r] for r in (Role.ADMIN, Role.TEACHER, Role.TUTOR))))
    elif flt.role is not None:
        query = query.where(role_clauses[flt.role])
    elif class_ids is not None:
        query = query.where(or_(role_clauses[Role.STUDENT], role_clauses[Role.PARENT]))
    # Linked for what the code would carry already: a teacher linked as staff still gets a family code.
    covering = [s.value for s in Scope if s.covers(scope)]
    linked = select(TelegramAccount.person_id).where(
        TelegramAccount.person_id.is_not(None), TelegramAccount.scope.in_(covering)
    )
    return query.where(Person.id.not_in(linked)).order_by(Person.last_name, Person.first_name, Person.id)


async def _resolve(session: AsyncSession, flt: CodeFilter) -> tuple[list[int], list[int] | None]:
    schools = select(School.id)
    if flt.school is not None:
        schools = schools.where(School.external_id == flt.school)
    school_ids = list(await session.scalars(schools))
    if flt.school is not None and not school_ids:
        raise NotFound(N_("There is no school with id {school}."), school=flt.school)
    if flt.class_id is not None:
        wanted = SchoolClass.id == flt.class_id
    elif flt.class_ref is not None:
        wanted = or_(SchoolClass.external_id == flt.class_ref, SchoolClass.name == class_name_form(flt.class_ref))
    else:
        return school_ids, None
    class_ids = list(await session.scalars(select(SchoolClass.id).where(wanted, SchoolClass.school_id.in_(school_ids))))
    if not class_ids and flt.class_ref is None:
        raise NotFound(N_("There is no such class."))
    if not class_ids:
        raise NotFound(
            N_("There is no class {class_ref}: give its name (5А) or its id from the roster (C5A)."),
            class_ref=flt.class_ref,
        )
    return school_ids, class_ids


@dataclass
class _Described:
    roles: set[Role] = field(default_factory=set)
    classes: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)

    def add_class(self, name: str) -> None:
        if name not in self.classes:
            self.classes.append(name)


async def _describe(session: AsyncSession, people: list[Person], scope: Scope) -> dict[int, _Described]:
    """Each person's roles within the scope, with the classes and children that side names: a class
    teacher's own class on a staff code, a parent's children and their classes on a family code."""
    ids = [p.id for p in people]
    found = {i: _Described() for i in ids}
    for person_id, role in await session.execute(
        select(RoleGrant.person_id, RoleGrant.role).where(RoleGrant.person_id.in_(ids))
    ):
        found[person_id].roles.add(Role(role))
    if Scope.STAFF.roles & scope.roles:
        for tutor_id, class_name in await session.execute(
            select(SchoolClass.tutor_id, SchoolClass.name).where(SchoolClass.tutor_id.in_(ids))
        ):
            assert tutor_id is not None  # IN matches no NULL
            found[tutor_id].roles.add(Role.TUTOR)
            found[tutor_id].add_class(class_name)
    if Scope.FAMILY.roles & scope.roles:
        await _describe_family(session, ids, found)
    for described in found.values():
        described.roles &= scope.roles
    return found


async def _describe_family(session: AsyncSession, ids: list[int], found: dict[int, _Described]) -> None:
    for person_id, class_name in await session.execute(
        select(Student.person_id, SchoolClass.name)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.person_id.in_(ids))
    ):
        found[person_id].roles.add(Role.STUDENT)
        found[person_id].add_class(class_name)
    child = aliased(Person)
    for parent_id, last, first, class_name in await session.execute(
        select(Guardianship.parent_id, child.last_name, child.first_name, SchoolClass.name)
        .join(Student, Student.id == Guardianship.student_id)
        .join(child, child.id == Student.person_id)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Guardianship.parent_id.in_(ids), Guardianship.active.is_(True), child.active.is_(True))
        .order_by(SchoolClass.name, child.last_name, child.first_name)
    ):
        found[parent_id].roles.add(Role.PARENT)
        found[parent_id].add_class(class_name)
        found[parent_id].children.append(f"{last} {first}, {class_name}")


async def issue_codes(
    session: AsyncSession, flt: CodeFilter, *, days: int, actor: Viewer, replace: bool = False
) -> list[IssuedCode]:
    """A fresh code for each matching person not yet linked for its scope. Codes issued earlier keep
    working until one of them links (or they are revoked): a printed sheet is never silently void.
    With `replace` the earlier unused codes of the same people are revoked first, on purpose."""
    return (await _issue_filtered(session, flt, days=days, actor=actor, replace=replace)).codes


async def ask_codes(session: AsyncSession, flt: CodeFilter, *, actor: Viewer) -> CodeRequest:
    """How many people the filter would give codes to now, and how many of them hold live codes
    already: what a person confirms before issuing in the bot. The same rules as issuing."""
    flt, scope = await _scope_for(session, actor, flt)
    school_ids, class_ids = await _resolve(session, flt)
    return await _request(session, flt, scope, _people_query(flt, scope, school_ids, class_ids), class_ids, actor)


async def issue_requested(
    session: AsyncSession, flt: CodeFilter, *, days: int, actor: Viewer, replace: bool, stamp: int
) -> CodeBatch | CodeRequest:
    """Issue what `ask_codes` showed, if nothing was issued to these people since (`stamp`); else
    nothing is issued and the request as it is now comes back, to be confirmed again. A second press
    of the same confirmation, or one on an old message, so never stacks another set of codes."""
    flt, scope = await _scope_for(session, actor, flt)
    school_ids, class_ids = await _resolve(session, flt)
    # Two presses at once (a double tap, two administrators) wait for each other here, so the later one
    # finds the earlier one's codes in the stamp and issues nothing. A write to the school's row that
    # changes nothing takes PostgreSQL's row lock as FOR NO KEY UPDATE, which the journal's inserts that
    # point at the school (their foreign-key checks) do not wait for, and SQLite's one write lock, which
    # a SELECT … FOR UPDATE would not.
    await session.execute(
        update(School).where(School.id.in_(school_ids)).values(name=School.name),
        execution_options={"synchronize_session": False},
    )
    query = _people_query(flt, scope, school_ids, class_ids)
    now = await _request(session, flt, scope, query, class_ids, actor)
    if now.stamp != stamp:
        return now
    return await _issue_query(session, query, scope, days=days, actor=actor, replace=replace, class_ids=class_ids)


async def code_targets(session: AsyncSession, actor: Viewer) -> CodeTargets:
    """The classes a person may issue codes for (an administrator: every class of the school, and
    staff codes and the whole school too; a class teacher: the own classes, family codes only)."""
    actor.require_any(Role.ADMIN, Role.TUTOR)
    assert actor.school is not None
    query = select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school_id == actor.school.id)
    admin = Role.ADMIN in actor.roles
    if not admin:
        query = query.where(SchoolClass.id.in_(actor.tutor_class_ids))
    rows = await session.execute(query.order_by(SchoolClass.grade_level, SchoolClass.name, SchoolClass.id))
    return CodeTargets([(cid, name) for cid, name in rows], staff=admin, school=admin)


async def _issue_filtered(
    session: AsyncSession, flt: CodeFilter, *, days: int, actor: Viewer, replace: bool
) -> CodeBatch:
    flt, scope = await _scope_for(session, actor, flt)
    school_ids, class_ids = await _resolve(session, flt)
    query = _people_query(flt, scope, school_ids, class_ids)
    return await _issue_query(session, query, scope, days=days, actor=actor, replace=replace, class_ids=class_ids)


async def _issue_query(
    session: AsyncSession,
    query: Select,
    scope: Scope,
    *,
    days: int,
    actor: Viewer,
    replace: bool,
    class_ids: list[int] | None,
) -> CodeBatch:
    revoked = await _revoke(session, query, scope, actor) if replace else 0
    people = list(await session.scalars(query))
    return CodeBatch(await _issue(session, people, days=days, scope=scope, actor=actor, class_ids=class_ids), revoked)


def _cancelled_scopes(scope: Scope, actor: Viewer) -> list[str]:
    """The codes a person may cancel for the scope: a class teacher those of the scope or narrower (an
    administrator's code that links a teacher's staff role too is not theirs to void); the
    administration every code that would link any of those roles, so that "cancel the earlier ones"
    leaves none of them working."""
    administration = actor.operator or Role.ADMIN in actor.roles
    return [s.value for s in Scope if scope.covers(s) or (administration and s.roles & scope.roles)]


def _their_codes(people_query: Select, scope: Scope, actor: Viewer) -> list[Any]:
    """The conditions of the codes `replace` and `revoke` cancel: live (unused, not expired), of the
    scopes the person may cancel; an expired code needs no cancelling, and the count told before
    matches the count told after."""
    return [
        LinkCode.person_id.in_(select(people_query.subquery().c.id)),
        LinkCode.scope.in_(_cancelled_scopes(scope, actor)),
        LinkCode.used_at.is_(None),
        LinkCode.revoked_at.is_(None),
        LinkCode.expires_at > utcnow(),
    ]


async def _request(
    session: AsyncSession, flt: CodeFilter, scope: Scope, query: Select, class_ids: list[int] | None, actor: Viewer
) -> CodeRequest:
    people = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    holding, live = (
        await session.execute(
            select(func.count(func.distinct(LinkCode.person_id)), func.count(LinkCode.id)).where(
                *_their_codes(query, scope, actor)
            )
        )
    ).one()
    stamp = await session.scalar(
        select(func.max(LinkCode.id)).where(LinkCode.person_id.in_(select(query.subquery().c.id)))
    )
    named = None
    if class_ids is not None and len(class_ids) == 1:
        named = (
            await session.execute(select(SchoolClass.id, SchoolClass.name).where(SchoolClass.id == class_ids[0]))
        ).one()
    return CodeRequest(
        people=people,
        holding=holding,
        live=live,
        stamp=stamp or 0,
        class_id=named[0] if named else None,
        class_name=named[1] if named else None,
        staff=flt.staff,
    )


async def issue_codes_for(
    session: AsyncSession,
    people: list[Person],
    *,
    days: int,
    scope: Scope = Scope.ALL,
    actor: Viewer,
) -> list[IssuedCode]:
    """Codes for these people, chosen by name at the command line (the demo's picks)."""
    actor.require_operator()
    return await _issue(session, people, days=days, scope=scope, actor=actor)


async def _issue(
    session: AsyncSession,
    people: list[Person],
    *,
    days: int,
    scope: Scope,
    actor: Viewer,
    class_ids: list[int] | None = None,
) -> list[IssuedCode]:
    """Codes for these people, authorised by the caller; each links the roles of its scope. They
    come grouped as they are handed out: class by class in the school's order (a family by the
    class the sheet is for, else the first of its classes), then staff, then anyone of no class."""

    if not people:
        return []
    now = utcnow()
    ids = [p.id for p in people]
    described = await _describe(session, people, scope)
    schools = dict(
        (
            await session.execute(select(School.id, School.name).where(School.id.in_({p.school_id for p in people})))
        ).all()
    )
    order = list(Role)
    class_order = await _class_order(session, {p.school_id for p in people}, class_ids)
    issued: list[IssuedCode] = []
    actor_id = actor.person.id if actor.person else None
    for person in people:
        about = described[person.id]
        roles = tuple(sorted(about.roles, key=order.index))
        class_name = ", ".join(about.classes) or None
        handed_by = [c for c in about.classes if (person.school_id, c) in class_order]
        group = (
            None
            if STAFF_ROLES & about.roles or not handed_by
            else min(handed_by, key=lambda c: class_order[(person.school_id, c)])
        )
        code = generate_code()
        session.add(
            LinkCode(
                code_hash=hash_code(code),
                person_id=person.id,
                scope=scope.value,
                issued_by=actor_id,
                expires_at=now + timedelta(days=days),
            )
        )
        issued.append(
            IssuedCode(
                person.id,
                person.full_name,
                roles,
                class_name,
                code,
                tuple(about.children),
                schools.get(person.school_id, ""),
                sex_of(person.sex, person.middle_name),
                group,
            )
        )
    audit.record(
        session,
        action="codes_issued",
        entity="link_code",
        entity_id=None,
        school_id=people[0].school_id,
        actor_person_id=actor_id,
        actor_telegram_id=actor.telegram_user_id or None,
        after={"persons": ids, "days": days, "scope": scope.value},
    )
    await session.flush()
    school_of = {p.id: p.school_id for p in people}

    def place(slip: IssuedCode) -> tuple[int, int, int]:
        if slip.group is not None:
            return school_of[slip.person_id], 0, class_order[(school_of[slip.person_id], slip.group)]
        return school_of[slip.person_id], 1 if slip.staff else 2, 0

    return sorted(issued, key=place)  # stable: alphabetical within a group, as the query ordered them


async def _class_order(
    session: AsyncSession, school_ids: set[int], class_ids: list[int] | None
) -> dict[tuple[int, str], int]:
    """(school, class name) -> its place in the school's order, of the classes a sheet is grouped by:
    the sheet's class, or every class when the sheet is of a whole school."""
    query = select(SchoolClass.school_id, SchoolClass.name).where(SchoolClass.school_id.in_(school_ids))
    if class_ids is not None:
        query = query.where(SchoolClass.id.in_(class_ids))
    rows = await session.execute(query.order_by(SchoolClass.grade_level, SchoolClass.name, SchoolClass.id))
    return {(school, name): n for n, (school, name) in enumerate(rows)}


async def revoke_codes(session: AsyncSession, flt: CodeFilter, *, actor: Viewer) -> int:
    """Revoke the unused codes of everyone the filter matches; returns how many were revoked."""
    flt, scope = await _scope_for(session, actor, flt)
    school_ids, class_ids = await _resolve(session, flt)
    return await _revoke(session, _people_query(flt, scope, school_ids, class_ids), scope, actor)


async def _revoke(session: AsyncSession, people_query: Select, scope: Scope, actor: Viewer) -> int:
    """Revoke the live codes of the people the query selects that this person may cancel (_their_codes)."""
    # An UPDATE's result is a CursorResult, which carries the rowcount; execute() is typed as the plain Result.
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(LinkCode).where(*_their_codes(people_query, scope, actor)).values(revoked_at=utcnow())
        ),
    )
    count = result.rowcount or 0
    audit.record(
        session,
        action="codes_revoked",
        entity="link_code",
        entity_id=None,
        actor_person_id=actor.person.id if actor.person else None,
        after={"count": count},
    )
    await session.flush()
    return count
