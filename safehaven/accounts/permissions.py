"""Permissions as a typed list, and the default roles that hold them.

Roles are data (the Role table) so a clinic can add one; these are the defaults
created by the first migration and by `safehaven demo`.
"""

from enum import StrEnum


class Perm(StrEnum):
    """A thing a staff member may be allowed to do."""

    VIEW_PERSON = "person.view"  # open the chart of a person on my care team
    REGISTER_PERSON = "person.register"
    EDIT_PERSON = "person.edit"
    VIEW_CLINICAL = "clinical.view"  # encounters, notes, screening results
    WRITE_CLINICAL = "clinical.write"  # start encounters, write notes
    BREAK_GLASS = "access.break_glass"
    MANAGE_CARE_TEAM = "access.manage_team"
    VIEW_AUDIT = "audit.view"
    REVIEW_BREAK_GLASS = "audit.review_break_glass"
    MANAGE_STAFF = "staff.manage"
    MANAGE_CLINIC = "clinic.manage"  # instruments, protocols, templates, settings
    CASE_MANAGE = "case.manage"  # needs, care plans, referrals, contact log
    SCREEN = "screening.administer"
    MANAGE_CONSENT = "consent.manage"
    VIEW_AGGREGATE = "evaluation.view"  # aggregate, suppressed figures only
    EXPORT_DATA = "data.export"  # FHIR bulk export and research extracts
    TRAINING = "training.take"
    PARTNER_REFERRALS = "partner.referrals"  # a partner organisation's own referrals only


ROLE_DEFAULTS: dict[str, tuple[str, list[Perm]]] = {
    "clinician": (
        "Clinician",
        [
            Perm.VIEW_PERSON, Perm.REGISTER_PERSON, Perm.EDIT_PERSON, Perm.VIEW_CLINICAL,
            Perm.WRITE_CLINICAL, Perm.BREAK_GLASS, Perm.MANAGE_CARE_TEAM, Perm.SCREEN,
            Perm.MANAGE_CONSENT, Perm.CASE_MANAGE, Perm.TRAINING,
        ],
    ),
    "nurse": (
        "Nurse",
        [
            Perm.VIEW_PERSON, Perm.REGISTER_PERSON, Perm.EDIT_PERSON, Perm.VIEW_CLINICAL,
            Perm.WRITE_CLINICAL, Perm.SCREEN, Perm.MANAGE_CONSENT, Perm.TRAINING,
        ],
    ),
    "advocate": (
        "Advocate / case manager",
        [
            Perm.VIEW_PERSON, Perm.REGISTER_PERSON, Perm.EDIT_PERSON, Perm.CASE_MANAGE,
            Perm.SCREEN, Perm.MANAGE_CONSENT, Perm.MANAGE_CARE_TEAM, Perm.TRAINING,
        ],
    ),
    "front_desk": (
        "Front desk",
        [Perm.VIEW_PERSON, Perm.REGISTER_PERSON, Perm.TRAINING],
    ),
    "clinic_admin": (
        "Clinic administrator",
        [
            Perm.VIEW_AUDIT, Perm.REVIEW_BREAK_GLASS, Perm.MANAGE_STAFF, Perm.MANAGE_CLINIC,
            Perm.MANAGE_CARE_TEAM, Perm.VIEW_AGGREGATE, Perm.EXPORT_DATA, Perm.TRAINING,
        ],
    ),
    "evaluator": ("Evaluator (aggregate data only)", [Perm.VIEW_AGGREGATE]),
    "trainee": ("Trainee", [Perm.TRAINING]),
    "partner": ("Partner organisation", [Perm.PARTNER_REFERRALS]),
}
