"""Who is acting: the Telegram account, its person and the roles that follow from the roster."""

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
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

    @property
    def linked(self) -> bool:
        return self.person is not None

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


async def roles_of(session: AsyncSession, person: Person) -> Viewer:
    """Roles of an active person; an inactive one holds none."""
    viewer = Viewer(telegram_user_id=0, person=person)
    viewer.school = await session.get(School, person.school_id)
    if not person.active:
        return viewer
    roles: set[Role] = set()
    grants = await session.scalars(select(RoleGrant.role).where(RoleGrant.person_id == person.id))
    roles.update(Role(r) for r in grants)
    tutor_of = frozenset(await session.scalars(select(SchoolClass.id).where(SchoolClass.tutor_id == person.id)))
    if tutor_of:
        roles.add(Role.TUTOR)
    own = await session.scalar(select(Student.id).where(Student.person_id == person.id))
    if own is not None:
        roles.add(Role.STUDENT)
    children = frozenset(
        await session.scalars(
            select(Guardianship.student_id)
            .join(Student, Student.id == Guardianship.student_id)
            .join(Person, Person.id == Student.person_id)
            .where(
                Guardianship.parent_id == person.id,
                Guardianship.active.is_(True),
                Person.active.is_(True),
            )
        )
    )
    if children:
        roles.add(Role.PARENT)
    viewer.roles = frozenset(roles)
    viewer.tutor_class_ids = tutor_of
    viewer.child_student_ids = children
    viewer.own_student_id = own
    return viewer


async def load_viewer(session: AsyncSession, telegram_user_id: int) -> Viewer:
    account = await session.scalar(select(TelegramAccount).where(TelegramAccount.telegram_user_id == telegram_user_id))
    if account is None or account.person_id is None:
        return Viewer(telegram_user_id=telegram_user_id, account=account)
    person = await session.get(Person, account.person_id)
    assert person is not None  # the foreign key guarantees it
    viewer = await roles_of(session, person)
    viewer.telegram_user_id = telegram_user_id
    viewer.account = account
    return viewer
