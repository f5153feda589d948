"""Whether, when and how a person may be reached, and the exact words they would see.

Everything here reads `people.ContactPreferences`; nothing reaches anyone any other way.
The rules (DOMAIN.md §6, HIPAA 164.522(b)): only the channels they chose, only in their
safe hours in their own time zone, a neutral sender and neutral words (no clinic or
service name unless they allowed it), their code word if they set one, never voicemail
unless they said it is safe, and nothing at all under "do not contact".
"""

import datetime
import re
import zoneinfo
from dataclasses import dataclass, field

from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

# Words that must never appear in a reminder (a phone or inbox may be seen by someone else).
SENSITIVE_WORDS = (
    "traffick", "exploit", "abuse", "assault", "violence", "hiv", "std", "sti ", "syphilis",
    "pregnan", "ptsd", "depress", "anxiety", "mental", "psychiatr", "therapy", "clinic",
    "hospital", "safe haven", "shelter", "advocate", "victim", "survivor", "trata", "víctima",
    "clínica", "clinique", "victime", "violencia",
)

PLACEHOLDERS = {"sender", "date", "time", "code_word", "clinic_name"}
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")

DEFAULT_TEMPLATES = {
    ("appointment", "en"): ("Reminder", "{code_word}Hello, this is {sender}. A reminder of your appointment on {date} at {time}."),
    ("appointment", "es"): ("Recordatorio", "{code_word}Hola, le escribe {sender}. Le recordamos su cita el {date} a las {time}."),
    ("appointment", "fr"): ("Rappel", "{code_word}Bonjour, ici {sender}. Un rappel de votre rendez-vous le {date} à {time}."),
    ("due_care", "en"): ("Hello", "{code_word}Hello, this is {sender}. It is a good time to book your next visit. Reply or call when it suits you."),
    ("due_care", "es"): ("Hola", "{code_word}Hola, le escribe {sender}. Es un buen momento para pedir su próxima cita. Responda o llame cuando le convenga."),
    ("due_care", "fr"): ("Bonjour", "{code_word}Bonjour, ici {sender}. C'est le bon moment pour prendre votre prochain rendez-vous. Répondez ou appelez quand cela vous convient."),
    ("outreach", "en"): ("Hello", "{code_word}Hello, this is {sender}. We missed you and hope you are well. Reply or call when it suits you."),
    ("outreach", "es"): ("Hola", "{code_word}Hola, le escribe {sender}. Le echamos de menos y esperamos que esté bien. Responda o llame cuando le convenga."),
    ("outreach", "fr"): ("Bonjour", "{code_word}Bonjour, ici {sender}. Vous nous avez manqué, nous espérons que vous allez bien. Répondez ou appelez quand cela vous convient."),
}

REFUSALS = {
    "no_preferences": _("No contact wishes are recorded, so no one may contact them."),
    "do_not_contact": _("They asked not to be contacted."),
    "channel_not_allowed": _("They did not agree to be contacted this way."),
    "no_address": _("There is no safe number or address for this way of contacting them."),
    "consent": _("Their information-sharing decisions do not allow this message."),
    "outside_safe_hours": _("That time is outside the hours they said are safe."),
    "clinic_name": _("The message would show the clinic's name, which they did not allow."),
    "sensitive_word": _("The message contains a word that could reveal the kind of care they get."),
}


class ContactRefused(Exception):
    """The person's wishes do not allow this contact; `code` says which rule."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(str(REFUSALS.get(code, code)))


@dataclass(frozen=True)
class Message:
    """Exactly what the phone or inbox will show."""

    channel: str
    to: str
    sender: str
    subject: str
    body: str
    allow_voicemail: bool
    language: str
    person: object = field(default=None, repr=False, compare=False)  # never shown or sent


def _tz(prefs) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(prefs.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return zoneinfo.ZoneInfo("UTC")


def in_safe_hours(prefs, moment: datetime.datetime) -> bool:
    """Return whether `moment` falls in the person's safe hours, in their time zone."""
    local = moment.astimezone(_tz(prefs)).time()
    start, end = prefs.safe_hours_start, prefs.safe_hours_end
    if start == end:
        return False  # an empty window: never safe
    if start < end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight


def next_safe_time(prefs, moment: datetime.datetime) -> datetime.datetime:
    """Return `moment` if it is in the safe hours, else the start of the next safe window."""
    if in_safe_hours(prefs, moment):
        return moment
    tz = _tz(prefs)
    local = moment.astimezone(tz)
    if prefs.safe_hours_start == prefs.safe_hours_end:
        raise ContactRefused("outside_safe_hours")
    for days in (0, 1):
        day = local.date() + datetime.timedelta(days=days)
        candidate = datetime.datetime.combine(day, prefs.safe_hours_start, tzinfo=tz)
        if candidate > local:
            return candidate.astimezone(datetime.UTC)
    raise ContactRefused("outside_safe_hours")  # unreachable with a non-empty window


def check_channel(person, prefs, channel: str) -> str:
    """Return the safe address for `channel`, or raise ContactRefused saying why not."""
    if prefs is None:
        raise ContactRefused("no_preferences")
    if prefs.do_not_contact:
        raise ContactRefused("do_not_contact")
    if channel not in (prefs.channels or []) or channel == "in_person":
        raise ContactRefused("channel_not_allowed")
    address = prefs.email if channel == "email" else prefs.phone
    if not (address or "").strip():
        raise ContactRefused("no_address")
    return address.strip()


def check_consent(person):
    """Return the consent decision for a reminder to the person; raise if it is refused."""
    from safehaven.consent.decision import Recipient, may_disclose

    decision = may_disclose(person, Recipient.the_person(), "reminder", ["identity_contact"])
    if not decision:
        raise ContactRefused("consent")
    return decision


def template_problems(text: str) -> list[str]:
    """Return what is wrong with a template's text (unknown placeholders, sensitive words)."""
    problems = []
    for name in PLACEHOLDER_RE.findall(text):
        if name not in PLACEHOLDERS:
            problems.append(str(_("Unknown placeholder {%(name)s}.") % {"name": name[:30]}))
    folded = PLACEHOLDER_RE.sub(" ", text).casefold()
    for word in SENSITIVE_WORDS:
        if word in folded:
            problems.append(str(_("Avoid the word “%(word)s”: someone else may see the message.") % {"word": word.strip()}))
    return problems


def _fill(text: str, values: dict) -> str:
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), ""), text)


def template_text(site, kind: str, language: str, templates: dict | None = None) -> tuple[str, str]:
    """Return (subject, body) of the site's template, falling back to English and the default."""
    from safehaven.followup.models import ReminderTemplate

    if templates is None:
        templates = {
            (t.kind, t.language): (t.subject, t.body)
            for t in ReminderTemplate.objects.filter(site=site, kind=kind)
        }
    lang = language if language in {"en", "es", "fr"} else "en"
    for key in ((kind, lang), (kind, "en")):
        if key in templates:
            return templates[key]
        if key in DEFAULT_TEMPLATES:
            return DEFAULT_TEMPLATES[key]
    raise KeyError(kind)


def render(person, prefs, *, kind: str, channel: str, when: datetime.datetime | None = None,
           templates: dict | None = None, check: bool = True) -> Message:
    """Return the message exactly as the person would receive it, or raise ContactRefused."""
    to = check_channel(person, prefs, channel) if check else ""
    language = person.preferred_language if person.preferred_language in {"en", "es", "fr"} else "en"
    subject, body = template_text(person.site, kind, language, templates)
    clinic_name = person.site.name if prefs.clinic_name_allowed else ""
    sender = (prefs.neutral_sender or "").strip() or str(DEFAULT_SENDER)
    values = {
        "sender": sender,
        "code_word": f"{prefs.code_word.strip()} — " if (prefs.code_word or "").strip() else "",
        "clinic_name": clinic_name,
        "date": "",
        "time": "",
    }
    if when is not None:
        local = when.astimezone(_tz(prefs))
        with translation.override(language):
            values["date"] = formats.date_format(local, "DATE_FORMAT")
            values["time"] = formats.time_format(local, "TIME_FORMAT")
    message = Message(
        channel=channel, to=to, sender=sender, subject=_fill(subject, values).strip(),
        body=" ".join(_fill(body, values).split()), allow_voicemail=bool(prefs.voicemail_ok),
        language=language, person=person,
    )
    if not prefs.clinic_name_allowed:
        names = {person.site.name.casefold(), person.site.organisation.name.casefold()}
        shown = f"{message.sender} {message.subject} {message.body}".casefold()
        if any(name and name in shown for name in names):
            raise ContactRefused("clinic_name")
    return message


DEFAULT_SENDER = _("Appointment reminder")
