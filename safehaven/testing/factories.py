"""Factories and the shared cast of personas for tests (synthetic data only).

The cast, used by every test module through the `cast` fixture:
- alice  — clinician at Harbor (site A), on the patient's care team
- bob    — nurse at Harbor, on the patient's care team
- carol  — clinician at Harbor, NOT on the patient's care team (other team, same site)
- dan    — clinician at Riverside (site B, another clinic network)
- fay    — front desk at Harbor, on the patient's care team
- ana    — advocate at Harbor, on the patient's care team
- erin   — clinic administrator at Harbor
- eve    — evaluator (aggregate data only) at Harbor
- tom    — trainee at Harbor
- patient — "Rosa", registered at Harbor
- other_patient — "Iris", at Riverside, dan's patient
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safehaven.accounts.models import Membership, Organisation, Role, Site, User
from safehaven.accounts.roles import ensure_default_roles
from safehaven.people import actions as people_actions
from safehaven.people.models import Person

PASSWORD = "correct horse battery staple"  # noqa: S105 (test persona password)


def make_site(name: str = "Harbor Clinic", organisation: Organisation | None = None) -> Site:
    org = organisation or Organisation.objects.create(name=f"{name} network")
    return Site.objects.create(organisation=org, name=name)


def make_staff(username: str, site: Site, role: str, *, display_name: str = "", gender: str = "") -> User:
    roles = ensure_default_roles()
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=display_name or username.title(), gender=gender)
    Membership.objects.create(user=user, site=site, role=roles[role])
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def make_person(by: User, site: Site, chosen_name: str = "Rosa", **kwargs) -> Person:
    kwargs.setdefault("age_band", "25-34")
    return people_actions.register_person(by=by, site=site, chosen_name=chosen_name, **kwargs)


def login(client, user: User):
    """Sign the user in with both factors (as after a real sign-in) and return the client."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    now = timezone.now().timestamp()
    session["auth_at"] = now
    session["last_seen"] = now
    session.save()
    return client


@dataclass
class Cast:
    site_a: Site
    site_b: Site
    alice: User
    bob: User
    carol: User
    dan: User
    fay: User
    ana: User
    erin: User
    eve: User
    tom: User
    patient: Person
    other_patient: Person

    def role_users(self) -> dict[str, User]:
        return {
            "clinician": self.alice, "nurse": self.bob, "advocate": self.ana, "front_desk": self.fay,
            "clinic_admin": self.erin, "evaluator": self.eve, "trainee": self.tom,
        }


def make_cast() -> Cast:
    """Create the shared cast of personas."""
    site_a = make_site("Harbor Clinic")
    site_b = make_site("Riverside Clinic")
    alice = make_staff("alice", site_a, "clinician", display_name="Dr. Alice", gender="woman")
    bob = make_staff("bob", site_a, "nurse", display_name="Bob RN", gender="man")
    carol = make_staff("carol", site_a, "clinician", display_name="Dr. Carol", gender="woman")
    dan = make_staff("dan", site_b, "clinician", display_name="Dr. Dan", gender="man")
    fay = make_staff("fay", site_a, "front_desk", display_name="Fay")
    ana = make_staff("ana", site_a, "advocate", display_name="Ana")
    erin = make_staff("erin", site_a, "clinic_admin", display_name="Erin")
    eve = make_staff("eve", site_a, "evaluator", display_name="Eve")
    tom = make_staff("tom", site_a, "trainee", display_name="Tom")
    patient = make_person(
        alice, site_a, "Rosa", legal_name="Rosalind Quintero-Vasquez", pronouns="she/her",
        date_of_birth=datetime.date(1996, 4, 2),
    )
    for member in (bob, fay, ana):
        people_actions.add_to_care_team(by=alice, person=patient, user=member)
    other_patient = make_person(dan, site_b, "Iris", legal_name="Iris Okonkwo-Delacroix")
    return Cast(site_a, site_b, alice, bob, carol, dan, fay, ana, erin, eve, tom, patient, other_patient)


__all__ = ["Cast", "Role", "make_cast", "make_person", "make_site", "make_staff", "login", "PASSWORD"]
