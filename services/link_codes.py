"""Issuing and revoking link codes: readable, single use, expiring, stored only as a hash."""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, or_, select, update
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
from services.errors import N_, NotAllowed, NotFound
from services.roles import Role, Scope, Viewer, scope_for_role
from services.roster.validate import LATIN_TO_CYRILLIC

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

    @property
    def whose(self) -> str | None:
        """Where the code goes: a parent's children, else the person's class."""
        return "; ".join(self.children) or self.class_name


@dataclass(frozen=True)
class CodeFilter:
    school: str | None = None  # the roster's school_id
    class_ref: str | None = None  # the roster's class_id
    role: Role | None = None


def class_name_form(text: str) -> str:
    """A class as people write it (5а, 5 А, a Latin 5A) in the form names are kept in: 5А."""
    return "".join(text.split()).upper().translate(LATIN_TO_CYRILLIC)


def _administrators_scope(flt: CodeFilter) -> Scope:
    """A class's sheet is for its families, whoever prints it: a teacher who is also a parent in the
    class gets a parent's code there, and her staff code from the staff sheet."""
    if flt.role is None and flt.class_ref is not None:
        return Scope.FAMILY
    return scope_for_role(flt.role)


async def _scope_for(session: AsyncSession, actor: Viewer, flt: CodeFilter) -> tuple[CodeFilter, Scope]:
    """Tutors hand codes to their own class's families only, and those codes link no staff role;
    staff codes come from the administrator alone (002 §3.1, 004 §3.10)."""
    if actor.operator:
        return flt, _administrators_scope(flt)
    actor.require_any(Role.ADMIN, Role.TUTOR)
    assert actor.school is not None
    flt = CodeFilter(school=actor.school.external_id, class_ref=flt.class_ref, role=flt.role)
    if Role.ADMIN in actor.roles:
        return flt, _administrators_scope(flt)
    if flt.role in (Role.ADMIN, Role.TEACHER, Role.TUTOR):
        raise NotAllowed(N_("Staff get their codes from the school administrator."))
    own = list(await session.scalars(select(SchoolClass).where(SchoolClass.id.in_(actor.tutor_class_ids))))
    if flt.class_ref is None and len(own) == 1:
        flt = CodeFilter(school=flt.school, class_ref=own[0].external_id, role=flt.role)
    wanted = flt.class_ref or ""
    if not any(wanted in (c.external_id, c.name) or class_name_form(wanted) == c.name for c in own):
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
    if flt.role is not None:
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
    if flt.class_ref is None:
        return school_ids, None
    name = class_name_form(flt.class_ref)
    class_ids = list(
        await session.scalars(
            select(SchoolClass.id).where(
                or_(SchoolClass.external_id == flt.class_ref, SchoolClass.name == name),
                SchoolClass.school_id.in_(school_ids),
            )
        )
    )
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
    flt, scope = await _scope_for(session, actor, flt)
    school_ids, class_ids = await _resolve(session, flt)
    query = _people_query(flt, scope, school_ids, class_ids)
    if replace:
        await _revoke(session, query, scope, actor)
    people = list(await session.scalars(query))
    return await _issue(session, people, days=days, scope=scope, actor=actor)


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
    session: AsyncSession, people: list[Person], *, days: int, scope: Scope, actor: Viewer
) -> list[IssuedCode]:
    """Codes for these people, authorised by the caller; each links the roles of its scope."""
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
    issued: list[IssuedCode] = []
    actor_id = actor.person.id if actor.person else None
    for person in people:
        about = described[person.id]
        roles = tuple(sorted(about.roles, key=order.index))
        class_name = ", ".join(about.classes) or None
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
    return issued


async def revoke_codes(session: AsyncSession, flt: CodeFilter, *, actor: Viewer) -> int:
    """Revoke the unused codes of everyone the filter matches; returns how many were revoked."""
    flt, scope = await _scope_for(session, actor, flt)
    school_ids, class_ids = await _resolve(session, flt)
    return await _revoke(session, _people_query(flt, scope, school_ids, class_ids), scope, actor)


async def _revoke(session: AsyncSession, people_query: Select, scope: Scope, actor: Viewer) -> int:
    """Revoke the unused codes of the scope (and narrower) of the people the query selects."""
    people = select(people_query.subquery().c.id)
    # An UPDATE's result is a CursorResult, which carries the rowcount; execute() is typed as the plain Result.
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(LinkCode)
            .where(
                LinkCode.person_id.in_(people),
                LinkCode.scope.in_([s.value for s in Scope if scope.covers(s)]),
                LinkCode.used_at.is_(None),
                LinkCode.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
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
