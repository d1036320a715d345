"""The bot's reach in a class or a school: who of the families is linked, has consented, can be
reached and read the last weekly summary, and who is still not linked (000 §2.12, 004 §3.8)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Guardianship, Notification, Person, School, SchoolClass, Student, SummaryRun, TelegramAccount
from services.class_names import class_name_form
from services.errors import N_, NotAllowed, NotFound
from services.push_kinds import PushKind
from services.roles import Role, Scope, Viewer


@dataclass
class Counts:
    """People of one side of the families (students, or parents) by how far the bot reaches them.
    Each set holds person ids, so a parent of two children in a school is counted once there."""

    everyone: set[int] = field(default_factory=set)
    linked: set[int] = field(default_factory=set)  # an account linked for the family side
    consented: set[int] = field(default_factory=set)  # linked, and accepted the processing of data
    reachable: set[int] = field(default_factory=set)  # linked, and has not blocked the bot
    read: set[int] = field(default_factory=set)  # marked the last weekly summary read

    def merge(self, other: "Counts") -> None:
        for name in ("everyone", "linked", "consented", "reachable", "read"):
            getattr(self, name).update(getattr(other, name))


@dataclass(frozen=True)
class Unlinked:
    name: str
    role: Role  # student or parent
    child: str | None = None  # whose parent: the child's name and class, "Алексеев Матвей, 5А"


@dataclass
class ClassCoverage:
    class_id: int
    name: str
    students: Counts = field(default_factory=Counts)
    parents: Counts = field(default_factory=Counts)
    unlinked: list[Unlinked] = field(default_factory=list)


@dataclass
class Coverage:
    """A school's (or a tutor's own classes') reach, class by class, with totals of distinct people."""

    school: str
    summary_week: date | None  # the week of the last weekly summary sent, if any was
    classes: list[ClassCoverage]

    @property
    def students(self) -> Counts:
        return self._total("students")

    @property
    def parents(self) -> Counts:
        return self._total("parents")

    def _total(self, side: str) -> Counts:
        total = Counts()
        for c in self.classes:
            total.merge(getattr(c, side))
        return total

    def of_class(self, class_id: int) -> ClassCoverage:
        found = next((c for c in self.classes if c.class_id == class_id), None)
        if found is None:
            raise NotFound(N_("There is no such class."))
        return found


async def _classes(session: AsyncSession, viewer: Viewer, school: School, class_id: int | None) -> list[SchoolClass]:
    """Every class of the school for its administrator, a class teacher's own classes for them."""
    query = select(SchoolClass).where(SchoolClass.school_id == school.id)
    if not viewer.operator:
        viewer.require_any(Role.TUTOR, Role.ADMIN)
        if Role.ADMIN not in viewer.roles:
            if class_id is not None and class_id not in viewer.tutor_class_ids:
                raise NotAllowed(N_("This is not your class: a class teacher works with their own class only."))
            query = query.where(SchoolClass.id.in_(viewer.tutor_class_ids))
    if class_id is not None:
        query = query.where(SchoolClass.id == class_id)
    classes = list(await session.scalars(query.order_by(SchoolClass.grade_level, SchoolClass.name)))
    if class_id is not None and not classes:
        raise NotFound(N_("There is no such class."))
    return classes


async def class_named(session: AsyncSession, viewer: Viewer, text: str) -> int:
    """The class a person typed after /coverage (5А, 5а, a Latin 5A, or the roster's id) in their school,
    if it is theirs to see: any of the administrator's school, a class teacher's own."""
    person = viewer.require_linked()
    viewer.require_any(Role.TUTOR, Role.ADMIN)
    found = await session.scalar(
        select(SchoolClass.id).where(
            SchoolClass.school_id == person.school_id,
            or_(SchoolClass.name == class_name_form(text), SchoolClass.external_id == text.strip()),
        )
    )
    if found is None:
        raise NotFound(N_("There is no class {name} in the school: give its name, e.g. 5А."), name=text.strip())
    if Role.ADMIN not in viewer.roles and found not in viewer.tutor_class_ids:
        raise NotAllowed(N_("This is not your class: a class teacher works with their own class only."))
    return found


async def _schools(session: AsyncSession, viewer: Viewer, school_ref: str | None) -> list[School]:
    if not viewer.operator:
        viewer.require_any(Role.TUTOR, Role.ADMIN)
        assert viewer.school is not None
        return [viewer.school]
    query = select(School).order_by(School.id)
    if school_ref is not None:
        query = query.where(School.external_id == school_ref)
    schools = list(await session.scalars(query))
    if school_ref is not None and not schools:
        raise NotFound(N_("There is no school with id {school}."), school=school_ref)
    return schools


async def coverage(
    session: AsyncSession, viewer: Viewer, *, class_id: int | None = None, school_ref: str | None = None
) -> list[Coverage]:
    """The reach of each school the viewer oversees (the command line: every school, or `school_ref`)."""
    return [
        await _school_coverage(session, school, await _classes(session, viewer, school, class_id))
        for school in await _schools(session, viewer, school_ref)
    ]


async def _school_coverage(session: AsyncSession, school: School, classes: list[SchoolClass]) -> Coverage:
    """In a fixed number of queries whatever the school's size: students, parents, accounts, summaries."""
    by_class = {c.id: ClassCoverage(c.id, c.name) for c in classes}
    students = (
        await session.execute(
            select(Student.id, Student.class_id, Person.id, Person.last_name, Person.first_name, Person.consent_at)
            .join(Person, Person.id == Student.person_id)
            .where(Student.class_id.in_(by_class), Person.active.is_(True))
            .order_by(Person.last_name, Person.first_name, Person.id)
        )
    ).all()
    class_of = {sid: cid for sid, cid, *_rest in students}
    child_name = {sid: f"{last} {first}, {by_class[cid].name}" for sid, cid, _p, last, first, _x in students}
    parents = (
        await session.execute(
            select(Guardianship.student_id, Person.id, Person.last_name, Person.first_name, Person.consent_at)
            .join(Person, Person.id == Guardianship.parent_id)
            .where(Guardianship.student_id.in_(class_of), Guardianship.active.is_(True), Person.active.is_(True))
            .order_by(Person.last_name, Person.first_name, Person.id)
        )
    ).all()
    people = {pid for _s, _c, pid, *_r in students} | {pid for _s, pid, *_r in parents}
    accounts = await _accounts(session, people)
    week, read = await _summary_readers(session, school.id, people)
    for sid, cid, pid, last, first, consent in students:
        _count(by_class[cid].students, pid, consent, accounts, read.get(pid, set()) & {sid})
        if pid not in accounts:
            by_class[cid].unlinked.append(Unlinked(f"{last} {first}", Role.STUDENT))
    for sid, pid, last, first, consent in parents:
        cid = class_of[sid]
        _count(by_class[cid].parents, pid, consent, accounts, read.get(pid, set()) & {sid})
        if pid not in accounts:
            by_class[cid].unlinked.append(Unlinked(f"{last} {first}", Role.PARENT, child_name[sid]))
    return Coverage(school.name, week, list(by_class.values()))


def _count(counts: Counts, pid: int, consent: object, accounts: dict[int, bool], read: set[int]) -> None:
    counts.everyone.add(pid)
    if pid not in accounts:
        return
    counts.linked.add(pid)
    if consent is not None:
        counts.consented.add(pid)
    if accounts[pid]:
        counts.reachable.add(pid)
    if read:
        counts.read.add(pid)


async def _accounts(session: AsyncSession, people: set[int]) -> dict[int, bool]:
    """Person -> reachable (not blocked), for the people linked for the family side."""
    if not people:
        return {}
    rows = await session.execute(
        select(TelegramAccount.person_id, TelegramAccount.blocked_at).where(
            TelegramAccount.person_id.in_(people),
            or_(TelegramAccount.scope.is_(None), TelegramAccount.scope != Scope.STAFF),
        )
    )
    return {pid: blocked is None for pid, blocked in rows if pid is not None}


async def _summary_readers(
    session: AsyncSession, school_id: int, people: set[int]
) -> tuple[date | None, dict[int, set[int]]]:
    """The last summary week of the school, and who marked it read: person -> the students whose
    summary they read (a parent reads one summary per child)."""
    week = await session.scalar(select(func.max(SummaryRun.week_start)).where(SummaryRun.school_id == school_id))
    if week is None or not people:
        return week, {}
    prefix = f"summary:{week.isoformat()}:s"
    read: dict[int, set[int]] = defaultdict(set)
    for person_id, key in await session.execute(
        select(Notification.person_id, Notification.dedup_key).where(
            Notification.person_id.in_(people),
            Notification.kind == PushKind.WEEKLY_SUMMARY,
            Notification.dedup_key.like(prefix + "%"),
            Notification.seen_at.is_not(None),
        )
    ):
        read[person_id].add(int(key[len(prefix) :].split(":")[0]))
    return week, read
