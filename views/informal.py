"""The messages a school's student reads in the bot that have a «ты» form.

A school speaks to its students as «ты» (a college's students, parents and staff stay «вы»). While an
update comes from a school's student, the bot's screens and the domain errors look a message up with
the gettext context "informal" first and take the usual translation where there is none
(locales/i18n.addressed, set for the update by bot/middlewares.LocaleMiddleware). This module only
marks those forms for the extractor: each entry is the message exactly as the code shows it, and its
«ты» translation is in the catalogs under msgctxt "informal". A message without «вы» in Russian has
no entry here, nor one that a student never sees (staff and parents' screens).

Pushes are not listed: they choose their form themselves (views/words.py, Voice). Nor are past-tense
verbs spoken to the student given a gender: the informal forms are worded without one («Ответа от
тебя ещё нет», not «Ты ещё не ответил»), since the context carries none.
"""

from views.words import pgettext

FORMS = (
    # The own code sent again from the account it linked (services/linking)
    pgettext("informal", "This code has already linked this Telegram account: you are in the diary. /help"),
    # /help and the menu (handlers/render.menu_text), and the consent text (/start, /privacy)
    pgettext("informal", "What you can do:"),
    pgettext("informal", "Diary data appears here after you accept the processing of personal data: /privacy"),
    pgettext(
        "informal",
        "Consent to the processing of personal data\n\n"
        "To show you grades, attendance and homework, the school processes personal data of the "
        "student and the parents (Federal Law No. 152-FZ “On Personal Data”). Under the school's "
        "rules on the electronic diary, the diary is open to students and parents who have given "
        "this consent, and each family sees only its own child's data.\n\n"
        "You can withdraw your consent at any time with /privacy; then the bot stops showing diary "
        "data and sending notifications.",
    ),
    # /privacy: where the consent stands (handlers/account.privacy_status)
    pgettext("informal", "You accepted on {date}."),
    pgettext("informal", "You declined or withdrew consent on {date}. Diary data and notifications are off."),
    pgettext("informal", "You have not answered yet. Diary data and notifications are off until you accept."),
    # /settings and /language
    pgettext("informal", "Notifications: tap to turn on or off."),
    pgettext("informal", "Choose the language:"),
    # /reports: a student's report card
    pgettext("informal", "/reports takes nothing after it ({given}): choose with the buttons below."),
    pgettext("informal", "Report card of {name}, {cls}: choose the period and the format."),
    # /summary's "Seen" button (the weekly summary)
    pgettext("informal", "Thank you: the class teacher sees that you have read it."),
    # /logout
    pgettext("informal", "This Telegram account is unlinked. To link again, send /start with a new code."),
    # /start CODE from a linked student's chat: the code refused (services/linking)
    pgettext("informal", "This code is not right. Check it letter by letter and send /start CODE again. {whom}"),
    pgettext("informal", "This code has already been used. Ask for a new one. {whom}"),
    pgettext("informal", "This code was cancelled by the school. Ask for a new one. {whom}"),
    pgettext("informal", "This code has expired. Ask for a new one. {whom}"),
    pgettext("informal", "Too many wrong codes. Try again in 15 minutes. {whom}"),
    pgettext(
        "informal",
        "This person is already linked from another Telegram account as staff, and a class teacher's "
        "code cannot move that link. Ask the school administrator. {whom}",
    ),
    # The fallback and the apology (handlers/fallback.py, handlers/errors.py)
    pgettext("informal", "This button is no longer active. Send /help."),
    pgettext("informal", "Something went wrong on our side and nothing was saved. Please try again in a minute."),
    # Refusals of the services on a student's paths (services/roles, family, absence_notes, summaries,
    # preferences, linking)
    pgettext("informal", "This command is not available for your role."),
    pgettext(
        "informal",
        "You have not accepted the processing of personal data yet, so the bot "
        "cannot show diary data. Send /privacy to read the consent and accept it.",
    ),
    pgettext("informal", "There is no diary linked to your account."),
    pgettext("informal", "You can see only your own child's diary."),
    pgettext("informal", "Absences are explained by a parent; ask yours to do it in the bot."),
    pgettext("informal", "This summary is not yours."),
    pgettext("informal", "Choose both the start and the end of the quiet hours."),
    pgettext("informal", "Choose an hour from 0 to 23."),
    pgettext("informal", "This language is not available. Choose Russian or English."),
)
