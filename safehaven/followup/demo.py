"""Demo data for follow-up (synthetic only; idempotent)."""

import datetime

from django.utils import timezone


def demo_hook(stdout) -> None:
    """Give every site its default protocols and the demo clinician some follow-up to see."""
    from safehaven.accounts.models import Site, User
    from safehaven.followup import actions
    from safehaven.followup.models import Appointment, CareEvent
    from safehaven.followup.protocols import ensure_default_protocols
    from safehaven.people.models import Person

    for site in Site.objects.all():
        ensure_default_protocols(site)
    clinician = User.objects.filter(username="clinician").first()
    if clinician is None or CareEvent.objects.filter(recorded_by=clinician).exists():
        return
    people = list(Person.objects.filter(care_team__user=clinician, care_team__active=True)[:6])
    today = timezone.localdate()
    for index, person in enumerate(people):
        actions.record_event(by=clinician, person=person, kind="enrolled",
                             occurred_on=today - datetime.timedelta(days=70 + 10 * index))
        if index % 2 == 0:
            actions.record_event(by=clinician, person=person, kind="sti_treated",
                                 occurred_on=today - datetime.timedelta(days=100))
    slot = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    booked = 0
    for person in people:
        try:
            actions.book_appointment(
                by=clinician, person=person, clinician=clinician,
                starts_at=slot + datetime.timedelta(minutes=45 * booked),
                interpreter_arranged=True,
                preference_note="" if person.clinician_gender_preference in ("", clinician.gender)
                else "Demo: they chose this clinician.",
            )
            booked += 1
        except actions.BookingProblem:
            continue
    missed = Appointment.objects.filter(clinician=clinician).first()
    if missed is not None:
        actions.set_appointment_status(by=clinician, appointment=missed, status="noshow")
    stdout.write(f"Follow-up: protocols at every site, {len(people)} people with due care, {booked} visits.\n")
