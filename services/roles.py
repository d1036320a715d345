"""Who is acting: the Telegram account, its person and the roles that follow from the roster."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import BindParameter, CompoundSelect, Integer, bindparam, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from models import Guardianship, Person, RoleGrant, School, SchoolClass, Student, TelegramAccount
from services.errors import N_, ConsentRequired, NotAllowed, NotLinked


class Role(StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"
    TUTOR = "tutor"
    STUDENT = "student"
    PARENT = "parent"


ROLE_LABELS = {
    Role.ADMIN: N_("administrator"),
    Role.TEACHER: N_("teacher"),
    Role.TUTOR: N_("class teacher"),
    Role.STUDENT: N_("student"),
    Role.PARENT: N_("parent"),
}
# Students and parents get diary data only after consenting (004 §3.8).
CONSENT_ROLES = frozenset({Role.STUDENT, Role.PARENT})
STAFF_ROLES = frozenset({Role.ADMIN, Role.TEACHER, Role.TUTOR})
FAMILY_ROLES = CONSENT_ROLES


class Scope(StrEnum):
    """The side of a person a link code (and so an account) carries: a class teacher hands out
    codes for the family side only, staff codes come from the administrator (002 §3.1, 004 §3.10)."""

    FAMILY = "family"
    STAFF = "staff"
    ALL = "all"

    @property
    def roles(self) -> frozenset[Role]:
        if self is Scope.FAMILY:
            return FAMILY_ROLES
        if self is Scope.STAFF:
            return STAFF_ROLES
        return frozenset(Role)

    def covers(self, other: "Scope") -> bool:
        return other.roles <= self.roles

    def union(self, other: "Scope") -> "Scope":
        return self if self.covers(other) else other if other.covers(self) else Scope.ALL


def scope_for_role(role: Role | None) -> Scope:
    """The scope of a code issued for one role (or for all of a person's roles)."""
    if role is None:
        return Scope.ALL
    return Scope.STAFF if role in STAFF_ROLES else Scope.FAMILY


@dataclass
class Viewer:
    telegram_user_id: int
    account: TelegramAccount | None = None
    person: Person | None = None
    school: School | None = None
    roles: frozenset[Role] = frozenset()
    tutor_class_ids: frozenset[int] = frozenset()
    child_student_ids: frozenset[int] = frozenset()
    own_student_id: int | None = None
    extra: dict[str, object] = field(default_factory=dict)
    # The machine's operator at the command line: the administrator of every school in this database.
    operator: bool = False

    @classmethod
    def command_line(cls) -> "Viewer":
        return cls(telegram_user_id=0, operator=True)

    def require_operator(self) -> None:
        """For what only the command line does (kinds of work, substitutes by roster ids)."""
        if not self.operator:
            raise NotAllowed(N_("This is done by the school's administrator on the command line."))

    @property
    def linked(self) -> bool:
        return self.person is not None

    @property
    def spoken_to_informally(self) -> bool:
        """A school's student, and nobody else, is spoken to as «ты» (a college's students, and a parent
        or teacher who is also a student, stay «вы»)."""
        return self.roles == frozenset({Role.STUDENT}) and self.school is not None and self.school.kind != "college"

    @property
    def needs_consent(self) -> bool:
        return bool(self.roles & CONSENT_ROLES) and (self.person is None or self.person.consent_at is None)

    def require_linked(self) -> Person:
        if self.person is None:
            raise NotLinked(
                N_(
                    "Your Telegram account is not linked yet. Send /start with the code "
                    "you got from your class teacher or the school administrator."
                )
            )
        return self.person

    def require_any(self, *roles: Role) -> Person:
        person = self.require_linked()
        if not self.roles & set(roles):
            raise NotAllowed(N_("This command is not available for your role."))
        return person

    def require_diary_access(self) -> Person:
        """For reading a child's diary: a student or parent who has consented."""
        person = self.require_any(Role.STUDENT, Role.PARENT)
        if person.consent_at is None:
            raise ConsentRequired(
                N_(
                    "You have not accepted the processing of personal data yet, so the bot "
                    "cannot show diary data. Send /privacy to read the consent and accept it."
                )
            )
        return person


# Built once: building these statements cost more than running them (a millisecond of every update).
_PERSON: BindParameter[int] = bindparam("person_id", type_=Integer)
_ROLE_SOURCES: CompoundSelect[str, Any, Any] = union_all(
    select(literal("grant").label("kind"), RoleGrant.role.label("role"), null().label("ref")).where(
        RoleGrant.person_id == _PERSON
    ),
    select(literal("tutor"), null(), SchoolClass.id).where(SchoolClass.tutor_id == _PERSON),
    select(literal("own"), null(), Student.id).where(Student.person_id == _PERSON),
    select(literal("child"), null(), Guardianship.student_id)
    .join(Student, Student.id == Guardianship.student_id)
    .join(Person, Person.id == Student.person_id)
    .where(Guardianship.parent_id == _PERSON, Guardianship.active.is_(True), Person.active.is_(True)),
)
_ACCOUNT_PERSON_SCHOOL = (
    select(TelegramAccount, Person, School)
    .outerjoin(Person, Person.id == TelegramAccount.person_id)
    .outerjoin(School, School.id == Person.school_id)
    .where(TelegramAccount.telegram_user_id == bindparam("telegram_user_id"))
)


async def roles_of(session: AsyncSession, person: Person, school: School | None = None) -> Viewer:
    """Roles of an active person; an inactive one holds none."""
    viewer = Viewer(telegram_user_id=0, person=person)
    viewer.school = school if school is not None else await session.get(School, person.school_id)
    if not person.active:
        return viewer
    # Every update asks who is writing: one round trip for all four sources of roles, not four.
    sources = await session.execute(_ROLE_SOURCES, {"person_id": person.id})
    roles: set[Role] = set()
    tutor_of: set[int] = set()
    children: set[int] = set()
    own = None
    for kind, role, ref in sources:
        if kind == "grant":
            roles.add(Role(role))
        elif kind == "tutor":
            tutor_of.add(ref)
        elif kind == "own":
            own = ref
        else:
            children.add(ref)
    if tutor_of:
        roles.add(Role.TUTOR)
    if own is not None:
        roles.add(Role.STUDENT)
    if children:
        roles.add(Role.PARENT)
    viewer.roles = frozenset(roles)
    viewer.tutor_class_ids = frozenset(tutor_of)
    viewer.child_student_ids = frozenset(children)
    viewer.own_student_id = own
    return viewer


async def load_viewer(session: AsyncSession, telegram_user_id: int) -> Viewer:
    found = (await session.execute(_ACCOUNT_PERSON_SCHOOL, {"telegram_user_id": telegram_user_id})).first()
    if found is None or found[1] is None:
        return Viewer(telegram_user_id=telegram_user_id, account=found[0] if found else None)
    account, person, school = found
    viewer = within_scope(await roles_of(session, person, school), Scope(account.scope or Scope.ALL))
    viewer.telegram_user_id = telegram_user_id
    viewer.account = account
    return viewer


def within_scope(viewer: Viewer, scope: Scope) -> Viewer:
    """Only the roles the account was linked for: a family code never yields a staff role."""
    viewer.roles = viewer.roles & scope.roles
    if Role.TUTOR not in viewer.roles:
        viewer.tutor_class_ids = frozenset()
    if Role.PARENT not in viewer.roles:
        viewer.child_student_ids = frozenset()
    if Role.STUDENT not in viewer.roles:
        viewer.own_student_id = None
    return viewer
