"""Writing a validated roster into the database in one transaction, counting what changed."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AcademicPeriod,
    Guardianship,
    Person,
    RoleGrant,
    School,
    SchoolClass,
    Student,
    Subject,
    TeachingAssignment,
    TimetableSlot,
    WorkType,
)
from services import audit
from services.roster.issues import RosterNote
from services.roster.records import Roster
from services.work_types import DEFAULT_WORK_TYPES

SECTIONS = ("schools", "staff", "classes", "students", "parents", "subjects", "teaching", "timetable", "periods")


@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deactivated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    skipped_tables: list[str] = field(default_factory=list)
    notes: list[RosterNote] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


def assign(obj: Any, **values: Any) -> bool:
    """Set the attributes that differ; tell whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class Applier:
    def __init__(self, session: AsyncSession, roster: Roster, report: ImportReport) -> None:
        self.s, self.roster, self.report = session, roster, report
        self.schools: dict[str, School] = {}
        self.staff: dict[str, Person] = {}
        self.classes: dict[str, SchoolClass] = {}
        self.subjects: dict[str, Subject] = {}
        self.students: dict[str, Student] = {}

    def count(self, section: str, created: bool, changed: bool) -> None:
        if created:
            self.report.created[section] += 1
        elif changed:
            self.report.updated[section] += 1
        else:
            self.report.unchanged[section] += 1

    async def schools_(self) -> None:
        ids = [r.school_id for r in self.roster.schools]
        existing = {s.external_id: s for s in await self.s.scalars(select(School).where(School.external_id.in_(ids)))}
        for r in self.roster.schools:
            school = existing.get(r.school_id)
            created = school is None
            if school is None:
                school = School(external_id=r.school_id)
                self.s.add(school)
            changed = assign(
                school,
                name=r.name,
                timezone=r.timezone,
                grade_min=r.grade_min,
                grade_max=r.grade_max,
                edit_window_days=r.edit_window_days,
                locale=r.locale,
                summary_weekday=r.summary_weekday,
                summary_time=r.summary_time,
                kind=r.kind,
            )
            self.count("schools", created, changed)
            self.schools[r.school_id] = school
        await self.s.flush()
        for school in self.schools.values():
            has_types = await self.s.scalar(select(WorkType.id).where(WorkType.school_id == school.id).limit(1))
            if has_types is None:
                self.s.add_all(
                    WorkType(school_id=school.id, code=code, name=name, position=i)
                    for i, (code, name) in enumerate(DEFAULT_WORK_TYPES)
                )

    async def persons(self, column: Any, school_ids: list[int]) -> dict[tuple[int, str], Person]:
        rows = await self.s.scalars(select(Person).where(Person.school_id.in_(school_ids), column.is_not(None)))
        return {(p.school_id, getattr(p, column.key)): p for p in rows}

    def person(
        self,
        section: str,
        existing: Person | None,
        school_id: int,
        ref: dict[str, str],
        last: str,
        first: str,
        middle: str | None,
        active: bool,
        *,
        also_changed: bool = False,
        **more: Any,
    ) -> Person:
        created = existing is None
        person = existing or Person(school_id=school_id, **ref)
        if created:
            self.s.add(person)
        was_active = person.active if not created else True
        changed = assign(person, last_name=last, first_name=first, middle_name=middle, active=active, **ref, **more)
        if not created and was_active and not active:
            self.report.deactivated[section] += 1
        else:
            self.count(section, created, changed or also_changed)
        return person

    async def staff_(self) -> None:
        school_ids = [s.id for s in self.schools.values()]
        existing = await self.persons(Person.staff_ref, school_ids)
        for r in self.roster.staff:
            school = self.schools[r.school_id]
            person = self.person(
                "staff",
                existing.get((school.id, r.staff_id)),
                school.id,
                {"staff_ref": r.staff_id},
                r.last_name,
                r.first_name,
                r.middle_name,
                r.active,
            )
            self.staff[r.staff_id] = person
        await self.s.flush()
        grants: dict[int, dict[str, RoleGrant]] = {}
        for grant in await self.s.scalars(select(RoleGrant).where(RoleGrant.school_id.in_(school_ids))):
            grants.setdefault(grant.person_id, {})[grant.role] = grant
        for r in self.roster.staff:
            person = self.staff[r.staff_id]
            held = grants.get(person.id, {})
            for role in r.roles:
                if role not in held:
                    self.s.add(RoleGrant(person_id=person.id, role=role, school_id=person.school_id))
            for role, grant in held.items():
                if role not in r.roles:
                    await self.s.delete(grant)

    async def subjects_(self) -> None:
        school_ids = [s.id for s in self.schools.values()]
        existing = {
            (s.school_id, s.external_id): s
            for s in await self.s.scalars(select(Subject).where(Subject.school_id.in_(school_ids)))
        }
        for r in self.roster.subjects:
            school = self.schools[r.school_id]
            subject = existing.get((school.id, r.subject_id))
            created = subject is None
            if subject is None:
                subject = Subject(school_id=school.id, external_id=r.subject_id)
                self.s.add(subject)
            self.count("subjects", created, assign(subject, name=r.name))
            self.subjects[r.subject_id] = subject
        await self.s.flush()

    async def classes_(self) -> None:
        school_ids = [s.id for s in self.schools.values()]
        existing = {
            (c.school_id, c.external_id): c
            for c in await self.s.scalars(select(SchoolClass).where(SchoolClass.school_id.in_(school_ids)))
        }
        for r in self.roster.classes:
            school = self.schools[r.school_id]
            cls = existing.get((school.id, r.class_id))
            created = cls is None
            if cls is None:
                cls = SchoolClass(school_id=school.id, external_id=r.class_id)
                self.s.add(cls)
            tutor = self.staff[r.tutor_id].id if r.tutor_id else None
            self.count(
                "classes",
                created,
                assign(cls, name=r.name, grade_level=r.grade_level, grading=r.grading, tutor_id=tutor),
            )
            self.classes[r.class_id] = cls
        await self.s.flush()

    async def students_(self) -> None:
        school_ids = [s.id for s in self.schools.values()]
        existing = await self.persons(Person.student_ref, school_ids)
        records = {
            st.person_id: st
            for st in await self.s.scalars(
                select(Student).join(Person, Person.id == Student.person_id).where(Person.school_id.in_(school_ids))
            )
        }
        placed: list[tuple[Person, Student | None, SchoolClass, str | None, str]] = []
        for r in self.roster.students:
            cls = self.classes[r.class_id]
            before = existing.get((cls.school_id, r.student_id))
            record = records.get(before.id) if before is not None else None
            moved = record is not None and (record.class_id != cls.id or record.subgroup != r.subgroup)
            person = self.person(
                "students",
                before,
                cls.school_id,
                {"student_ref": r.student_id},
                r.last_name,
                r.first_name,
                r.middle_name,
                r.active,
                also_changed=moved,
                sex=r.sex,
            )
            placed.append((person, record, cls, r.subgroup, r.student_id))
        await self.s.flush()  # one flush gives every new person an id
        for person, record, cls, subgroup, student_id in placed:
            if record is None:
                record = Student(person_id=person.id, class_id=cls.id, subgroup=subgroup)
                self.s.add(record)
            else:
                record.class_id, record.subgroup = cls.id, subgroup
            self.students[student_id] = record
        await self.s.flush()

    async def parents_(self) -> None:
        if self.roster.parents is None:
            self.report.skipped_tables.append("parents")
            return
        school_ids = [s.id for s in self.schools.values()]
        existing = await self.persons(Person.parent_ref, school_ids)
        links: dict[int, dict[int, Guardianship]] = {}
        for g in await self.s.scalars(
            select(Guardianship)
            .join(Person, Person.id == Guardianship.parent_id)
            .where(Person.school_id.in_(school_ids))
        ):
            links.setdefault(g.parent_id, {})[g.student_id] = g
        class_school = {c.id: c.school_id for c in self.classes.values()}
        placed: list[tuple[Person, dict[int, Guardianship], list[Student]]] = []
        for r in self.roster.parents:
            children = [self.students[c] for c in r.student_ids]
            school_id = class_school[children[0].class_id]
            staff = self.staff.get(r.staff_id) if r.staff_id else None
            before = staff or existing.get((school_id, r.parent_id))
            held = links.get(before.id, {}) if before is not None and before.id else {}
            wanted = {c.id for c in children}
            active_now = {sid for sid, link in held.items() if link.active}
            names = (
                (staff.last_name, staff.first_name, staff.middle_name, staff.active)
                if staff
                else (r.last_name, r.first_name, r.middle_name, r.active)
            )
            # One person, one account: a staff member who is also a parent stays one Person.
            person = self.person(
                "parents",
                before,
                school_id,
                {"parent_ref": r.parent_id},
                *names,
                also_changed=before is not None and active_now != wanted,
            )
            placed.append((person, held, children))
        await self.s.flush()
        for person, held, children in placed:
            wanted = {c.id for c in children}
            for child in children:
                link = held.get(child.id)
                if link is None:
                    self.s.add(Guardianship(parent_id=person.id, student_id=child.id))
                else:
                    link.active = True
            for student_id, link in held.items():
                if student_id not in wanted:
                    link.active = False

    async def teaching_(self) -> None:
        class_ids = [c.id for c in self.classes.values()]
        existing = {
            (t.class_id, t.subject_id, t.teacher_id, t.subgroup): t
            for t in await self.s.scalars(select(TeachingAssignment).where(TeachingAssignment.class_id.in_(class_ids)))
        }
        wanted = set()
        for r in self.roster.teaching:
            key = (self.classes[r.class_id].id, self.subjects[r.subject_id].id, self.staff[r.staff_id].id, r.subgroup)
            wanted.add(key)
            row = existing.get(key)
            if row is None:
                self.s.add(TeachingAssignment(class_id=key[0], subject_id=key[1], teacher_id=key[2], subgroup=key[3]))
                self.count("teaching", True, True)
            else:
                self.count("teaching", False, assign(row, active=True))
        for key, row in existing.items():
            if key not in wanted and row.active:
                row.active = False
                self.report.deactivated["teaching"] += 1

    async def timetable_(self) -> None:
        class_ids = [c.id for c in self.classes.values()]
        existing = {
            (t.class_id, t.weekday, t.lesson_no, t.subgroup, t.valid_from): t
            for t in await self.s.scalars(select(TimetableSlot).where(TimetableSlot.class_id.in_(class_ids)))
        }
        wanted = set()
        for r in self.roster.timetable:
            key = (self.classes[r.class_id].id, r.weekday, r.lesson_no, r.subgroup, r.valid_from)
            wanted.add(key)
            slot = existing.get(key)
            created = slot is None
            if slot is None:
                slot = TimetableSlot(
                    class_id=key[0],
                    weekday=r.weekday,
                    lesson_no=r.lesson_no,
                    subgroup=r.subgroup,
                    valid_from=r.valid_from,
                )
                self.s.add(slot)
            changed = assign(
                slot,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                subject_id=self.subjects[r.subject_id].id,
                teacher_id=self.staff[r.staff_id].id,
                room=r.room,
                valid_to=r.valid_to,
                active=True,
            )
            self.count("timetable", created, changed)
        for key, slot in existing.items():
            if key not in wanted and slot.active:
                slot.active = False
                self.report.deactivated["timetable"] += 1

    async def periods_(self) -> None:
        school_ids = [s.id for s in self.schools.values()]
        existing = {
            (p.school_id, p.external_id): p
            for p in await self.s.scalars(select(AcademicPeriod).where(AcademicPeriod.school_id.in_(school_ids)))
        }
        for r in self.roster.periods:
            school = self.schools[r.school_id]
            period = existing.get((school.id, r.period_id))
            created = period is None
            if period is None:
                period = AcademicPeriod(school_id=school.id, external_id=r.period_id)
                self.s.add(period)
            self.count(
                "periods", created, assign(period, name=r.name, kind=r.kind, starts_on=r.starts_on, ends_on=r.ends_on)
            )


async def apply_roster(
    session: AsyncSession, roster: Roster, notes: list[RosterNote], *, dry_run: bool = False
) -> ImportReport:
    report = ImportReport(notes=notes, dry_run=dry_run)
    applier = Applier(session, roster, report)
    # The caller's transaction holds it all: committed by the runner, or rolled back for a dry run
    # and on any error, so the database is left exactly as it was.
    for step in (
        applier.schools_,
        applier.staff_,
        applier.subjects_,
        applier.classes_,
        applier.students_,
        applier.parents_,
        applier.teaching_,
        applier.timetable_,
        applier.periods_,
    ):
        await step()
    await session.flush()
    audit.record(
        session,
        action="roster_imported",
        entity="school",
        entity_id=None,
        after={
            "created": dict(report.created),
            "updated": dict(report.updated),
            "deactivated": dict(report.deactivated),
        },
    )
    await session.flush()
    return report
