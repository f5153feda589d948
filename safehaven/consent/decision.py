"""The one function that decides whether information may leave the clinic.

Every outbound path (printouts, referral packets, exports, API responses, FHIR,
reminders) calls `may_disclose` and sends only the categories it permits, then
calls `log_disclosure` for what it actually sent. Deny by default.

Rules, in order:
- the person's own information always goes to the person themself;
- 42 CFR Part 2: substance-use treatment records never go to law enforcement or
  immigration, nor for a law-enforcement purpose (they may not be used against the
  person), whatever the consent or legal basis; and only under a consent that names
  the recipient (an organisation or service), never a whole kind of recipient;
- a legal basis is honoured only for a legally required report about a minor;
- otherwise a category goes only when a consent in force permits it for this recipient
  and purpose and no consent in force denies it; law enforcement and immigration need
  a consent that names them.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from safehaven.audit.actions import actor_fields, record
from safehaven.consent.models import (
    DATA_CATEGORY_CODES,
    PROTECTED_CATEGORIES,
    PURPOSES,
    ConsentGrant,
    Disclosure,
)
from safehaven.consent.outbound import note_decision
from safehaven.people.models import Person

PURPOSE_CODES = {code for code, _label in PURPOSES}
# 42 CFR Part 2 (substance-use treatment records).
PART2_CATEGORIES = {"substance_use"}


def _part2_barred(recipient: "Recipient", purpose: str) -> bool:
    return purpose == "law_enforcement" or recipient.category in PROTECTED_CATEGORIES


@dataclass(frozen=True)
class Recipient:
    """Who would receive the information."""

    kind: str  # organization, service, category, self
    category: str  # one of RECIPIENT_CATEGORIES (for self: "self")
    ref: str = ""  # public id of the organisation or service
    label: str = ""

    @classmethod
    def the_person(cls) -> "Recipient":
        return cls(kind="self", category="self", label="the person themself")


@dataclass
class Decision:
    """The answer: which requested categories may go, and under which consents."""

    allowed: bool
    permitted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    consent_ids: list[str] = field(default_factory=list)
    reason: str = ""
    legal_basis: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _matches(grant: ConsentGrant, recipient: Recipient) -> bool:
    if grant.recipient_kind == "category":
        if recipient.category in PROTECTED_CATEGORIES:
            # A category-wide consent covers a protected category only if it names it.
            return grant.recipient_category == recipient.category
        return grant.recipient_category == recipient.category
    if grant.recipient_kind in {"organization", "service"}:
        return bool(recipient.ref) and grant.recipient_ref == recipient.ref and (
            grant.recipient_kind == recipient.kind or recipient.kind == "service"
        )
    return False


def may_disclose(
    person: Person,
    recipient: Recipient,
    purpose: str,
    categories: list[str] | tuple[str, ...] | set[str],
    *,
    at: datetime.datetime | None = None,
    legal_basis: str = "",
    grants: list[ConsentGrant] | None = None,
) -> Decision:
    """Decide whether `categories` of the person's information may go to `recipient` for `purpose`.

    A category is permitted only when a consent in force (started, not expired, not
    revoked at `at`) permits it for this recipient and purpose, and no consent in
    force denies it. Law enforcement and immigration need a consent that names them.
    `legal_basis` is only honoured for a legally required report about a minor.
    Substance-use records follow 42 CFR Part 2 (see the module docstring).
    """
    decision = _decide(
        person, recipient, purpose, categories, at=at, legal_basis=legal_basis, grants=grants
    )
    note_decision(decision)
    return decision


def _refuse_part2(decision: Decision, recipient: Recipient, purpose: str) -> Decision:
    barred = sorted(PART2_CATEGORIES & set(decision.permitted)) if _part2_barred(recipient, purpose) else []
    if not barred:
        return decision
    permitted = [c for c in decision.permitted if c not in barred]
    refused = sorted(set(decision.refused) | set(barred))
    return Decision(
        allowed=False, permitted=permitted, refused=refused, consent_ids=decision.consent_ids,
        reason="substance-use treatment records may not be used for law enforcement (42 CFR Part 2)",
        legal_basis=decision.legal_basis,
    )


def _decide(
    person: Person,
    recipient: Recipient,
    purpose: str,
    categories: list[str] | tuple[str, ...] | set[str],
    *,
    at: datetime.datetime | None = None,
    legal_basis: str = "",
    grants: list[ConsentGrant] | None = None,
) -> Decision:
    requested = sorted(set(categories))
    unknown = [c for c in requested if c not in DATA_CATEGORY_CODES]
    if unknown:
        raise ValueError(f"unknown data categories: {', '.join(unknown)}")
    if purpose not in PURPOSE_CODES:
        raise ValueError(f"unknown purpose: {purpose}")
    if not requested:
        return Decision(True, reason="nothing requested")
    if recipient.kind == "self":
        return Decision(True, permitted=requested, reason="the person's own information")
    if legal_basis:
        if person.is_minor and recipient.category in {"child_protection", "law_enforcement"}:
            return _refuse_part2(
                Decision(
                    True, permitted=requested, reason="legally required report about a minor",
                    legal_basis=legal_basis,
                ),
                recipient, purpose,
            )
        return Decision(False, refused=requested, reason="a legal basis applies only to minors")

    at = at or timezone.now()
    if grants is None:
        grants = list(
            ConsentGrant.objects.filter(
                person=person, starts_at__lte=at, expires_at__gt=at
            ).exclude(revoked_at__lte=at)
        )
    permitted: set[str] = set()
    denied: set[str] = set()
    used: set[str] = set()
    for grant in grants:
        if not grant.is_in_force(at) or purpose not in grant.purposes:
            continue
        if not _matches(grant, recipient):
            continue
        cats = set(grant.categories) & set(requested)
        if grant.provision == "permit" and grant.recipient_kind == "category":
            cats -= PART2_CATEGORIES  # Part 2 needs a consent naming the recipient
        if not cats:
            continue
        if grant.provision == "deny":
            denied |= cats
        else:
            permitted |= cats
            used.add(str(grant.public_id))
    permitted -= denied
    refused = [c for c in requested if c not in permitted]
    return _refuse_part2(
        Decision(
            allowed=not refused,
            permitted=sorted(permitted),
            refused=refused,
            consent_ids=sorted(used),
            reason="" if not refused else "no consent in force covers " + ", ".join(refused),
        ),
        recipient, purpose,
    )


@transaction.atomic
def log_disclosure(
    *,
    by: Any,
    person: Person,
    recipient: Recipient,
    purpose: str,
    decision: Decision,
    channel: str,
    detail: dict | None = None,
) -> Disclosure | None:
    """Record what was actually sent (only the permitted categories) and audit it."""
    if not decision.permitted:
        return None
    actor_id, actor_label = actor_fields(by)
    disclosure = Disclosure.objects.create(
        person=person,
        actor_id=actor_id,
        actor_label=actor_label,
        channel=channel,
        recipient_kind=recipient.kind,
        recipient_ref=recipient.ref,
        recipient_label=recipient.label,
        recipient_category=recipient.category,
        purpose=purpose,
        categories=decision.permitted,
        consent_ids=decision.consent_ids,
        legal_basis=decision.legal_basis,
        detail=detail or {},
    )
    record(
        by=by, action="disclosure", obj=disclosure, person=person,
        detail={"channel": channel, "categories": decision.permitted, "recipient": recipient.label},
    )
    return disclosure
