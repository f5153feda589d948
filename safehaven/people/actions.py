"""The only write path for people, care teams, encounters and notes.

Each action takes keyword arguments, needs the acting user (`by=`), runs in one
transaction and writes its audit event inside it.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from safehaven.accounts.models import Site
from safehaven.audit.actions import record
from safehaven.lib.blind_index import fold, name_key
from safehaven.people.models import CareTeamMember, ContactPreferences, Encounter, Note, Person


class ConflictError(Exception):
    """Someone else changed the record since it was loaded."""


def _birth_marker(date_of_birth: datetime.date | None, age_band: str) -> str:
    return date_of_birth.isoformat() if date_of_birth else f"band:{age_band}"


@dataclass
class DuplicateCheck:
    """Likely duplicates at the same clinic: the ones the user may open, and how many others."""

    visible: list[Person]
    hidden_count: int

    @property
    def any(self) -> bool:
        return bool(self.visible) or self.hidden_count > 0


def find_duplicates(
    *, by: Any, site: Site, chosen_name: str, legal_name: str,
    date_of_birth: datetime.date | None, age_band: str,
) -> DuplicateCheck:
    """Return likely duplicates at the same site (never at other clinics)."""
    from safehaven.access.gate import visible_people

    marker = _birth_marker(date_of_birth, age_band)
    keys = [k for k in (name_key(chosen_name, marker), name_key(legal_name, marker)) if k]
    if not keys:
        return DuplicateCheck([], 0)
    matches = Person.objects.filter(site=site).filter(
        Q(chosen_key__in=keys) | Q(legal_key__in=keys)
    )
    ids = list(matches.values_list("pk", flat=True)[:50])
    visible = list(visible_people(by).filter(pk__in=ids))
    return DuplicateCheck(visible, len(ids) - len(visible))


@transaction.atomic
def register_person(
    *,
    by: Any,
    site: Site,
    chosen_name: str,
    legal_name: str = "",
    pronouns: str = "",
    date_of_birth: datetime.date | None = None,
    age_band: str = "",
    preferred_language: str = "en",
    interpreter_needed: bool = False,
    clinician_gender_preference: str = "",
    safety_note: str = "",
    contact: dict | None = None,
    ip: str = "",
) -> Person:
    """Register a person at a site, put the registering user on the care team, and audit it."""
    marker = _birth_marker(date_of_birth, age_band)
    person = Person.objects.create(
        site=site,
        chosen_name=chosen_name.strip(),
        chosen_name_folded=fold(chosen_name),
        legal_name=legal_name.strip(),
        pronouns=pronouns.strip(),
        date_of_birth=date_of_birth,
        age_band=age_band,
        preferred_language=preferred_language,
        interpreter_needed=interpreter_needed,
        clinician_gender_preference=clinician_gender_preference,
        safety_note=safety_note.strip(),
        legal_key=name_key(legal_name, marker),
        chosen_key=name_key(chosen_name, marker),
    )
    ContactPreferences.objects.create(person=person, **(contact or {}))
    CareTeamMember.objects.create(person=person, user=by)
    record(by=by, action="person.create", obj=person, person=person, ip=ip)
    return person


@transaction.atomic
def update_person(*, by: Any, person: Person, version: int, ip: str = "", **changes: Any) -> Person:
    """Change a person's details; refuse if someone else saved since `version` was read."""
    allowed = {
        "chosen_name", "legal_name", "pronouns", "date_of_birth", "age_band",
        "preferred_language", "interpreter_needed", "clinician_gender_preference", "safety_note",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
    updated = Person.objects.filter(pk=person.pk, version=version).update(version=F("version") + 1)
    if not updated:
        raise ConflictError("This record was changed by someone else. Reload it and try again.")
    for field, value in changes.items():
        setattr(person, field, value.strip() if isinstance(value, str) else value)
    person.chosen_name_folded = fold(person.chosen_name)
    marker = _birth_marker(person.date_of_birth, person.age_band)
    person.legal_key = name_key(person.legal_name, marker)
    person.chosen_key = name_key(person.chosen_name, marker)
    person.version = version + 1
    person.save()
    record(
        by=by, action="person.update", obj=person, person=person,
        detail={"fields": sorted(changes)}, ip=ip,
    )
    return person


@transaction.atomic
def update_contact_preferences(*, by: Any, person: Person, ip: str = "", **changes: Any) -> ContactPreferences:
    """Change how, when and whether the clinic may contact the person."""
    prefs, _ = ContactPreferences.objects.get_or_create(person=person)
    for field, value in changes.items():
        if not hasattr(prefs, field) or field in {"id", "person"}:
            raise ValueError(f"unknown contact preference {field}")
        setattr(prefs, field, value)
    prefs.full_clean(exclude=["person"])
    prefs.save()
    record(
        by=by, action="contact.update", obj=person, person=person,
        detail={"fields": sorted(changes)}, ip=ip,
    )
    return prefs


@transaction.atomic
def add_to_care_team(*, by: Any, person: Person, user: Any, ip: str = "") -> CareTeamMember:
    """Put a staff member on the person's care team (or re-activate them)."""
    member, created = CareTeamMember.objects.get_or_create(person=person, user=user)
    if not created and not member.active:
        member.active = True
        member.save(update_fields=["active"])
    record(
        by=by, action="careteam.add", obj=person, person=person,
        detail={"member": str(user.public_id)}, ip=ip,
    )
    return member


@transaction.atomic
def remove_from_care_team(*, by: Any, person: Person, user: Any, ip: str = "") -> None:
    """Take a staff member off the person's care team."""
    CareTeamMember.objects.filter(person=person, user=user).update(active=False)
    record(
        by=by, action="careteam.remove", obj=person, person=person,
        detail={"member": str(user.public_id)}, ip=ip,
    )


@transaction.atomic
def start_encounter(
    *, by: Any, person: Person, setting: str, chief_complaint: str,
    started_at: datetime.datetime | None = None, ip: str = "",
) -> Encounter:
    """Open an encounter, recording the chief complaint first."""
    encounter = Encounter.objects.create(
        person=person,
        site=person.site,
        setting=setting,
        chief_complaint=chief_complaint.strip(),
        clinician=by,
        started_at=started_at or timezone.now(),
    )
    record(by=by, action="encounter.create", obj=encounter, person=person, ip=ip)
    return encounter


@transaction.atomic
def finish_encounter(*, by: Any, encounter: Encounter, ip: str = "") -> Encounter:
    """Close an encounter."""
    encounter.status = "finished"
    encounter.ended_at = timezone.now()
    encounter.save(update_fields=["status", "ended_at"])
    record(by=by, action="encounter.finish", obj=encounter, person=encounter.person, ip=ip)
    return encounter


@transaction.atomic
def write_note(
    *, by: Any, encounter: Encounter, body: str, kind: str = "progress",
    amends: Note | None = None, ip: str = "",
) -> Note:
    """Add a note to an encounter (or an amendment of an earlier note)."""
    note = Note.objects.create(
        encounter=encounter, person=encounter.person, author=by, kind=kind,
        body=body.strip(), amends=amends,
    )
    record(by=by, action="note.create", obj=note, person=encounter.person, ip=ip)
    return note
