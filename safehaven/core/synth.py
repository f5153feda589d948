"""Synthetic clinics: realistic, deterministic for a seed, fast enough for 100,000 people.

Everything here is invented. Names are drawn from short lists and combined; no
record describes a real person.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehaven.accounts.models import Membership, Organisation, Site, User
from safehaven.accounts.roles import ensure_default_roles
from safehaven.audit import chain
from safehaven.audit.models import AuditEvent
from safehaven.bench import fastinsert
from safehaven.core import dbstats
from safehaven.lib.blind_index import fold, name_key
from safehaven.lib.progress import Progress
from safehaven.people.models import (
    AGE_BANDS,
    CareTeamMember,
    ContactPreferences,
    Encounter,
    Note,
    Person,
)

FIRST = [
    "Ana", "Bea", "Carmen", "Dani", "Elena", "Fatima", "Grace", "Hana", "Iris", "Jade", "Kim",
    "Lena", "Maya", "Nadia", "Olga", "Paz", "Quinn", "Rosa", "Sara", "Tami", "Uma", "Vera",
    "Wren", "Ximena", "Yara", "Zoe", "Alex", "Sam", "Jordan", "Luis", "Marco", "Noel", "Omar",
    "Priya", "Rin", "Sofia", "Tess", "Val", "Amara", "Brisa", "Chloe", "Dalia", "Esme", "Flor",
]
LAST = [
    "Rivera", "Nguyen", "Okafor", "Dubois", "Garcia", "Kowalski", "Haddad", "Silva", "Tanaka",
    "Moreau", "Lopez", "Mensah", "Ivanova", "Cruz", "Park", "Bakr", "Fontaine", "Reyes", "Diaz",
    "Martin", "Osei", "Petrov", "Santos", "Yilmaz", "Khan", "Ortiz", "Leroy", "Mendez", "Chen",
]
PRONOUNS = ["she/her", "she/her", "she/her", "he/him", "they/them", ""]
COMPLAINTS = [
    "Burning when I pee for a week",
    "Headaches most days and can't sleep",
    "Need my diabetes medicine, ran out a month ago",
    "Cut on my arm that isn't healing",
    "Want to get tested",
    "Stomach pain and nausea",
    "Tooth pain",
    "Feeling really anxious, heart racing",
    "Need birth control",
    "Back pain from work",
    "Follow-up for my results",
    "Cough for three weeks",
    "Want a check-up",
    "Pain in my wrist after a fall",
]
NOTE_LINES = [
    "Patient seen alone after privacy check. Chose to focus on today's concern.",
    "Vitals stable. Discussed options; patient chose the plan.",
    "Consent obtained for each step of the exam; declined pelvic exam today, respected.",
    "Advocate met the patient; talked about housing options at the patient's pace.",
    "Medication restarted; patient has a safe place to keep it.",
    "Offered a follow-up visit; patient will call from a safe phone.",
    "Discussed sleep and stress; patient interested in counselling later.",
]
SETTINGS = ["community_clinic"] * 6 + ["emergency", "outreach", "residential", "telehealth"]
STAFF_PLAN = [
    ("clinician", 3), ("nurse", 2), ("advocate", 2), ("front_desk", 1),
    ("clinic_admin", 1), ("evaluator", 0), ("trainee", 1),
]
DEMO_PASSWORD = "safehaven-demo"  # noqa: S105 (synthetic demo accounts only)


@dataclass
class SynthResult:
    sites: list[Site] = field(default_factory=list)
    staff: dict[str, User] = field(default_factory=dict)
    people: int = 0
    encounters: int = 0
    notes: int = 0
    # Rows of the capabilities (with full=True), and the capabilities skipped and why.
    extra: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def _totp_key(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(40))


def _make_staff(org_sites: list[Site], rng: random.Random, roles, password_hash: str) -> dict[str, User]:
    staff: dict[str, User] = {}
    users, memberships, devices = [], [], []
    demo_names = {
        "clinician": "Dr. Alice Moreno", "nurse": "Bob Tran (RN)", "advocate": "Ana Ruiz (advocate)",
        "front_desk": "Femi Adeyemi (front desk)", "clinic_admin": "Erin Walsh (administrator)",
        "trainee": "Theo Blake (trainee)",
    }
    for s_index, site in enumerate(org_sites):
        for role_code, count in STAFF_PLAN:
            for i in range(count):
                base = role_code.replace("_", "")
                username = base if (s_index == 0 and i == 0) else f"{base}{s_index + 1}{chr(97 + i)}"
                name = demo_names.get(role_code) if username == base else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                gender = rng.choice(["woman", "woman", "man", "nonbinary"])
                if role_code == "clinician" and username == base:
                    gender = "woman"
                users.append(
                    (User(username=username, display_name=name, gender=gender, password=password_hash), site, role_code)
                )
    # One evaluator for the whole network.
    users.append((User(username="evaluator", display_name="Eva Lindqvist (evaluator)", password=password_hash), org_sites[0], "evaluator"))
    User.objects.bulk_create([u for u, _s, _r in users])
    saved = {u.username: u for u in User.objects.filter(username__in=[u.username for u, _s, _r in users])}
    for u, site, role_code in users:
        user = saved[u.username]
        staff[user.username] = user
        memberships.append(Membership(user=user, site=site, role=roles[role_code]))
        if role_code == "evaluator":
            for other in org_sites[1:]:
                memberships.append(Membership(user=user, site=other, role=roles[role_code]))
        devices.append(TOTPDevice(user=user, name="Demo authenticator", confirmed=True, key=_totp_key(rng)))
    Membership.objects.bulk_create(memberships)
    TOTPDevice.objects.bulk_create(devices)
    return staff


def generate(
    *, patients: int, seed: int = 1, sites: int | None = None, encounters_per_person: float = 3.0,
    progress: bool = True, batch: int = 2000, full: bool = False, services: int = 20000,
) -> SynthResult:
    """Create a synthetic clinic network with `patients` people, deterministic for `seed`.

    With `full`, also create `services` directory services and, for each person, the
    capabilities' rows (screening, care plans, referrals, follow-up, consent) and the
    audit events of their care (see safehaven.bench.synth_more).
    """
    from django.contrib.auth.hashers import make_password

    rng = random.Random(seed)
    result = SynthResult()
    roles = ensure_default_roles()
    n_sites = sites or (2 if patients < 5000 else 4)
    with transaction.atomic():
        org = Organisation.objects.create(name="Harbor Health Network (synthetic)")
        site_names = ["Harbor Clinic", "Riverside Clinic", "Eastside Family Medicine", "Northgate Health",
                      "Bayview Aftercare", "Hillcrest Clinic"]
        for i in range(n_sites):
            result.sites.append(Site.objects.create(organisation=org, name=site_names[i % len(site_names)]))
        result.staff = _make_staff(result.sites, rng, roles, make_password(DEMO_PASSWORD))

    _fill(result, rng, patients=patients, seed=seed, encounters_per_person=encounters_per_person,
          progress=progress, batch=batch, full=full, services=services)
    dbstats.refresh()  # a bulk load: let the query planner see the new sizes
    return result


def add_people(
    *, patients: int, seed: int = 2, encounters_per_person: float = 3.0, progress: bool = False,
    batch: int = 2000, full: bool = False,
) -> SynthResult:
    """Add people (with `full`, their capabilities' rows too) to an existing synthetic network."""
    result = SynthResult()
    org = Organisation.objects.filter(name="Harbor Health Network (synthetic)").order_by("pk").first()
    if org is None:
        raise ValueError("There is no synthetic network to add people to: generate one first.")
    result.sites = list(Site.objects.filter(organisation=org).order_by("pk"))
    _fill(result, random.Random(seed), patients=patients, seed=seed, encounters_per_person=encounters_per_person,
          progress=progress, batch=batch, full=full, services=0)
    dbstats.refresh()
    return result


def _fill(result: SynthResult, rng: random.Random, *, patients: int, seed: int, encounters_per_person: float,
          progress: bool, batch: int, full: bool, services: int) -> None:
    """Create `patients` people at the result's sites, batch by batch (one commit each)."""
    staff_by_site: dict[int, list[User]] = {s.pk: [] for s in result.sites}
    clinicians_by_site: dict[int, list[User]] = {s.pk: [] for s in result.sites}
    memberships = Membership.objects.filter(site__in=result.sites).select_related("role", "user").order_by("pk")
    for m in memberships:
        if m.role.code in {"clinician", "nurse", "advocate"}:
            staff_by_site[m.site_id].append(m.user)
        if m.role.code in {"clinician", "nurse"}:
            clinicians_by_site[m.site_id].append(m.user)
    now = timezone.now()
    more = None
    if full:
        from safehaven.bench import synth_more

        synth_more.ensure_directory(services, seed=seed)
        more = synth_more.make_context(
            seed=seed, staff_by_site=staff_by_site,
            site_public={s.pk: str(s.public_id) for s in result.sites},
        )
    bar = Progress("people", patients, enabled=progress)
    today = timezone.localdate()
    for start in range(0, patients, batch):
        size = min(batch, patients - start)
        with transaction.atomic():  # one commit per batch: fast, and never half a person
            _batch(size, result, rng, now, today, staff_by_site, clinicians_by_site, encounters_per_person, more)
        bar.advance(size)
    bar.close()
    if more is not None:
        result.extra, result.skipped = dict(more.counts), dict(more.skipped)


def _batch(size, result, rng, now, today, staff_by_site, clinicians_by_site, encounters_per_person, more) -> None:
    """Create one batch of people with their contact preferences, teams, encounters and notes."""
    people, prefs, team, encounters, notes, events = [], [], [], [], [], []
    for _ in range(size):
        site = result.sites[0] if rng.random() < 0.5 else rng.choice(result.sites)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        chosen = first if rng.random() < 0.6 else f"{first} {last[0]}."
        age = rng.choice([15, 16, 17] + list(range(18, 60)))
        dob = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
        use_band = rng.random() < 0.15
        band = next(code for code, _l in AGE_BANDS if _band_contains(code, age)) if use_band else ""
        marker = f"band:{band}" if use_band else dob.isoformat()
        legal = f"{first} {rng.choice(LAST)} {last}"
        created = now - datetime.timedelta(days=rng.randint(1, 900))
        people.append(
            Person(
                site=site, chosen_name=chosen, chosen_name_folded=fold(chosen), legal_name=legal,
                pronouns=rng.choice(PRONOUNS), date_of_birth=None if use_band else dob, age_band=band,
                preferred_language=rng.choice(["en", "en", "en", "es", "es", "fr"]),
                interpreter_needed=rng.random() < 0.15,
                clinician_gender_preference=rng.choice(["", "", "woman", "woman", "man"]),
                safety_note=("See alone; a companion may try to answer for them." if rng.random() < 0.2 else ""),
                legal_key=name_key(legal, marker), chosen_key=name_key(chosen, marker), created_at=created,
            )
        )
    fastinsert.insert(Person, people)
    for person in people:
        dnc = rng.random() < 0.3
        prefs.append(
            ContactPreferences(
                person=person, do_not_contact=dnc,
                channels=[] if dnc else rng.sample(["sms", "phone", "email"], k=rng.randint(1, 2)),
                phone="" if dnc else f"+1555{rng.randint(1000000, 9999999)}",
                voicemail_ok=rng.random() < 0.3, code_word=rng.choice(["", "", "blue bird", "sunflower"]),
            )
        )
        members = rng.sample(staff_by_site[person.site_id], k=min(2, len(staff_by_site[person.site_id])))
        for user in members:
            team.append(CareTeamMember(person=person, user=user, added_at=person.created_at))
        n_enc = max(0, int(rng.expovariate(1 / encounters_per_person))) if encounters_per_person else 0
        for _e in range(n_enc):
            started = person.created_at + datetime.timedelta(days=rng.randint(0, 700), hours=rng.randint(8, 17))
            if started > now:
                started = now - datetime.timedelta(hours=rng.randint(1, 500))
            encounters.append(
                Encounter(
                    person=person, site_id=person.site_id, setting=rng.choice(SETTINGS),
                    status="finished", chief_complaint=rng.choice(COMPLAINTS),
                    clinician=rng.choice(clinicians_by_site[person.site_id]),
                    started_at=started, ended_at=started + datetime.timedelta(minutes=40),
                    created_at=started,
                )
            )
        events.append(
            AuditEvent(at=person.created_at, actor_id="system", actor_label="synth",
                       action="person.create", object_type="person",
                       object_id=str(person.public_id), person_id=str(person.public_id),
                       site_id=str(person.site.public_id))
        )
    fastinsert.insert(ContactPreferences, prefs)
    fastinsert.insert(CareTeamMember, team)
    fastinsert.insert(Encounter, encounters)
    for enc in encounters:
        notes.append(
            Note(encounter=enc, person=enc.person, author=enc.clinician, kind="progress",
                 body=rng.choice(NOTE_LINES), created_at=enc.started_at + datetime.timedelta(minutes=30))
        )
    fastinsert.insert(Note, notes)
    if more is not None:
        from safehaven.bench import synth_more

        events += synth_more.populate(people, more)
    for at in range(0, len(events), 5000):
        chain.append(events[at:at + 5000])
    result.people += size
    result.encounters += len(encounters)
    result.notes += len(notes)


def _band_contains(code: str, age: int) -> bool:
    if code.endswith("+"):
        return age >= int(code[:-1])
    low, high = code.split("-")
    return int(low) <= age <= int(high)
