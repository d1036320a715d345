"""The bot's reach as lines of text in the reader's language, for the bot and the command line alike."""

from locales.i18n import translate
from locales.i18n import translate_plural as ngettext  # the name pybabel extracts plurals by
from services.coverage import ClassCoverage, Counts, Coverage
from services.errors import N_
from services.roles import Role
from views.documents.words import percent_text

SIDES = ((N_("Students"), "students"), (N_("Parents"), "parents"))


def counts_line(label: str, counts: Counts, locale: str) -> str:
    """A side's figures a line each, «reachable» said as what it means to the reader:

    Родители: 40
    · подключены: 20 (50 %)
    · дали согласие: 18
    · бот может им писать (не заблокировали бота): 19
    · прочитали последнюю сводку: 7
    """
    everyone = len(counts.everyone)
    share = percent_text(len(counts.linked) / everyone, locale) if everyone else "—"
    return translate(
        N_(
            "{side}: {everyone}\n"
            "· linked: {linked} ({share})\n"
            "· consented: {consented}\n"
            "· the bot can write to them (they have not blocked it): {reachable}\n"
            "· read the last summary: {read}"
        ),
        locale,
        side=translate(label, locale),
        everyone=everyone,
        linked=len(counts.linked),
        share=share,
        consented=len(counts.consented),
        reachable=len(counts.reachable),
        read=len(counts.read),
    )


def summary_line(cov: Coverage, locale: str) -> str:
    if cov.summary_week is None:
        return translate(N_("No weekly summary has been sent yet."), locale)
    return translate(N_("Last weekly summary: the week of {date}."), locale, date=cov.summary_week)


def overview_lines(cov: Coverage, locale: str) -> list[str]:
    """The school (or a tutor's classes) in totals, then a line a class: linked of all, both sides."""
    lines = [translate(N_("Reach of the bot: {school}"), locale, school=cov.school), summary_line(cov, locale)]
    lines += [counts_line(label, getattr(cov, side), locale) for label, side in SIDES]
    if cov.classes:
        lines += ["", translate(N_("By class (students linked / parents linked):"), locale)]
    for c in cov.classes:
        lines.append(
            translate(
                N_("{cls}: {students} of {all_students} · {parents} of {all_parents} · not linked {unlinked}"),
                locale,
                cls=c.name,
                students=len(c.students.linked),
                all_students=len(c.students.everyone),
                parents=len(c.parents.linked),
                all_parents=len(c.parents.everyone),
                unlinked=len(c.unlinked),
            )
        )
    return lines


def class_lines(c: ClassCoverage, cov: Coverage, locale: str, limit: int | None = None) -> list[str]:
    """A class: both sides' counts and the names of those not linked (at most `limit` of them)."""
    lines = [translate(N_("{cls}: reach of the bot"), locale, cls=c.name), summary_line(cov, locale)]
    lines += [counts_line(label, getattr(c, side), locale) for label, side in SIDES]
    if not c.unlinked:
        lines.append(translate(N_("Everyone is linked."), locale))
        return lines
    count = len(c.unlinked)
    lines.append(
        ngettext("Not linked ({count} person):", "Not linked ({count} people):", count, locale).format(count=count)
    )
    shown = c.unlinked if limit is None else c.unlinked[:limit]
    for person in shown:
        if person.role is Role.PARENT:
            lines.append(
                "  " + translate(N_("{name} — parent; child: {child}"), locale, name=person.name, child=person.child)
            )
        else:
            lines.append("  " + person.name)
    if len(shown) < count:
        lines.append("  " + translate(N_("and {count} more"), locale, count=count - len(shown)))
    return lines
