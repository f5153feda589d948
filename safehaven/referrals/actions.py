"""The only write path for referrals, their status history, partner links and help checks.

Each action takes keyword arguments, needs the acting user or a label for the partner
(`by=`), runs in one transaction and writes its audit event inside it.
"""

import datetime
import json
import secrets
import uuid
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from safehaven.audit.actions import record
from safehaven.consent.decision import log_disclosure
from safehaven.consent.models import DATA_CATEGORY_CODES
from safehaven.referrals import packet as packets
from safehaven.referrals.models import (
    NEED_CHOICES,
    NEEDS_OUTCOME,
    NEEDS_REASON,
    PARTNER_TRANSITIONS,
    PRIORITIES,
    TRANSITIONS,
    HelpCheck,
    PartnerAccount,
    PartnerLink,
    Referral,
    ReferralEvent,
    ReferralPolicy,
    hash_token,
)
from safehaven.referrals.needs import need_choices

NEED_CODES = {code for code, _label in NEED_CHOICES}
PRIORITY_CODES = {code for code, _label in PRIORITIES}


class TransitionError(ValueError):
    """A status change that the lifecycle does not allow, or that lacks its reason."""


class ConflictError(Exception):
    """Someone else changed the referral since it was loaded."""


def policy_for(site: Any) -> ReferralPolicy:
    """Return the site's loop-closure policy (the defaults when none was saved)."""
    policy = ReferralPolicy.objects.filter(site=site).first()
    return policy or ReferralPolicy(site=site)


def _label(by: Any) -> str:
    if by is None or isinstance(by, str):
        return by or "system"
    return getattr(by, "name", "") or by.get_username()


@transaction.atomic
def create_referral(
    *,
    by: Any,
    person: Any,
    need_domain: str,
    service: Any,
    requested_categories: list[str],
    summaries: dict[str, str] | None = None,
    priority: str = "routine",
    goal_ref: str = "",
    ip: str = "",
) -> Referral:
    """Start a referral as a draft: a need (or a goal), a service and what to share."""
    if need_domain not in NEED_CODES and need_domain not in {c for c, _l in need_choices()}:
        raise ValueError(f"unknown need domain: {need_domain}")
    if priority not in PRIORITY_CODES:
        raise ValueError(f"unknown priority: {priority}")
    unknown = [c for c in requested_categories if c not in DATA_CATEGORY_CODES]
    if unknown:
        raise ValueError(f"unknown data categories: {', '.join(unknown)}")
    if service is None:
        raise ValueError("a referral names a service")
    categories = sorted(set(requested_categories))
    texts = {c: t.strip() for c, t in (summaries or {}).items() if c in categories and t.strip()}
    organization = service.organization
    referral = Referral.objects.create(
        person=person,
        site=person.site,
        need_domain=need_domain,
        goal_ref=goal_ref,
        service=service,
        organization=organization,
        service_name=service.name[:300],
        organization_name=(organization.name if organization else "")[:300],
        priority=priority,
        requested_categories=categories,
        summaries=json.dumps(texts) if texts else "",
        created_by=by,
    )
    ReferralEvent.objects.create(
        referral=referral, from_status="", to_status="draft", actor_kind="staff",
        actor=by, actor_label=_label(by),
    )
    record(
        by=by, action="referral.create", obj=referral, person=person,
        detail={"need": need_domain, "categories": categories, "goal": bool(goal_ref)}, ip=ip,
    )
    return referral


def _lock(referral: Referral, version: int | None) -> Referral:
    current = Referral.objects.select_for_update().get(pk=referral.pk)
    if version is not None and current.version != version:
        raise ConflictError("This referral was changed by someone else. Reload it and try again.")
    return current


def _apply(
    referral: Referral, *, to_status: str, by: Any, actor_kind: str, note: str, now: datetime.datetime
) -> ReferralEvent:
    event = ReferralEvent.objects.create(
        referral=referral, from_status=referral.status, to_status=to_status, at=now,
        actor_kind=actor_kind, actor=None if isinstance(by, str) or by is None else by,
        actor_label=_label(by)[:200], note=note,
    )
    referral.status = to_status
    referral.status_changed_at = now
    referral.version = F("version") + 1
    return event


@transaction.atomic
def send_referral(*, by: Any, referral: Referral, version: int | None = None, ip: str = "") -> Referral:
    """Send a draft: build the packet from what consent permits now, log the disclosure."""
    current = _lock(referral, version)
    if current.status != "draft":
        raise TransitionError("Only a draft can be sent.")
    current.person = referral.person
    now = timezone.now()
    decision = packets.decide(current, at=now)
    packet = packets.build_packet(current, decision, at=now)
    current.packet = json.dumps(packet)
    current.packet_categories = list(decision.permitted)
    current.requested_at = now
    _apply(current, to_status="requested", by=by, actor_kind="staff", note="", now=now)
    current.save()
    current.refresh_from_db(fields=["version"])
    log_disclosure(
        by=by, person=current.person, recipient=packets.recipient_for(current),
        purpose=packets.PURPOSE, decision=decision, channel="referral_packet",
        detail={"referral": str(current.public_id)},
    )
    record(
        by=by, action="referral.send", obj=current, person=current.person,
        detail={"sent": decision.permitted, "withheld": decision.refused}, ip=ip,
    )
    return current


@transaction.atomic
def change_status(
    *,
    by: Any,
    referral: Referral,
    to_status: str,
    reason: str = "",
    outcome: str = "",
    note: str = "",
    actor_kind: str = "staff",
    version: int | None = None,
    ip: str = "",
) -> Referral:
    """Move a referral along its lifecycle; refuse changes the lifecycle does not allow.

    Partners (by link, account or FHIR task update) may only accept, decline and report
    progress; a decline, failure, cancellation or error needs a reason, a completion
    says what was provided. Completion opens a help check for the advocate.
    """
    current = _lock(referral, version)
    current.person = referral.person
    partner = actor_kind != "staff"
    allowed = (PARTNER_TRANSITIONS if partner else TRANSITIONS).get(current.status, set())
    if to_status == "requested" and current.status == "draft":
        raise TransitionError("Use send to send a draft.")
    if to_status not in allowed:
        raise TransitionError(
            f"A referral that is {current.status} cannot become {to_status}."
        )
    reason, outcome, note = reason.strip(), outcome.strip(), note.strip()
    if to_status in NEEDS_REASON and not reason:
        raise TransitionError("Give a reason.")
    if to_status in NEEDS_OUTCOME and not outcome:
        raise TransitionError("Say what was provided.")
    now = timezone.now()
    if partner and current.responded_at is None:
        current.responded_at = now
    if reason:
        current.status_reason = reason
    if outcome:
        current.outcome = outcome
    from_status = current.status
    _apply(
        current, to_status=to_status, by=by, actor_kind=actor_kind,
        note="\n".join(t for t in (reason, outcome, note) if t), now=now,
    )
    current.save()
    current.refresh_from_db(fields=["version"])
    if to_status == "completed":
        _open_help_check(current, now=now)
    record(
        by=by, action="referral.status", obj=current, person=current.person,
        detail={"from": from_status, "to": to_status, "via": actor_kind}, ip=ip,
    )
    return current


def _open_help_check(referral: Referral, *, now: datetime.datetime) -> HelpCheck:
    """Record a task for the advocate to ask the person, privately, whether they got the help.

    The follow-up capability's reminder sender is not part of this release, so the
    question is asked by the referring staff member at the next contact.
    """
    check, _created = HelpCheck.objects.get_or_create(
        referral=referral,
        defaults={"person": referral.person, "assigned_to": referral.created_by, "created_at": now},
    )
    return check


@transaction.atomic
def record_help_answer(
    *, by: Any, check: HelpCheck, answer: str, comment: str = "", ip: str = ""
) -> HelpCheck:
    """Record whether the person got the help they were referred for."""
    from safehaven.referrals.models import HELP_ANSWERS

    if answer not in {code for code, _label in HELP_ANSWERS}:
        raise ValueError(f"unknown answer: {answer}")
    check.answer = answer
    check.comment = comment.strip()
    check.answered_at = timezone.now()
    check.answered_by = by
    check.save(update_fields=["answer", "comment", "answered_at", "answered_by"])
    record(
        by=by, action="referral.help_answer", obj=check.referral, person=check.person,
        detail={"answer": answer}, ip=ip,
    )
    return check


@transaction.atomic
def create_partner_link(
    *, by: Any, referral: Referral, valid_days: int | None = None, ip: str = ""
) -> tuple[PartnerLink, str]:
    """Make a single-referral link for the partner; return it with the token (shown once).

    Earlier links of the same referral stop working. Only a hash of the token is stored.
    """
    if referral.status == "draft" or not referral.is_open:
        raise TransitionError("A link can be made only for a sent referral that is still open.")
    days = valid_days or policy_for(referral.site).link_valid_days
    now = timezone.now()
    PartnerLink.objects.filter(referral=referral, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )
    token = secrets.token_urlsafe(32)
    link = PartnerLink.objects.create(
        referral=referral, token_hash=hash_token(token), created_by=by, created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    record(
        by=by, action="referral.link_create", obj=referral, person=referral.person,
        detail={"link": str(link.public_id), "expires_at": link.expires_at.isoformat()}, ip=ip,
    )
    return link, token


@transaction.atomic
def revoke_partner_link(*, by: Any, link: PartnerLink, ip: str = "") -> PartnerLink:
    """Stop a partner link from working."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = by
        link.save(update_fields=["revoked_at", "revoked_by"])
    record(
        by=by, action="referral.link_revoke", obj=link.referral, person=link.referral.person,
        detail={"link": str(link.public_id)}, ip=ip,
    )
    return link


def link_for_token(token: str) -> PartnerLink | None:
    """Return the usable link for a token, or None (unknown, expired or revoked)."""
    if not token or len(token) > 200:
        return None
    link = (
        PartnerLink.objects.select_related(
            "referral", "referral__person", "referral__person__contact", "referral__site",
            "referral__organization", "referral__service",
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None or not link.is_usable():
        return None
    return link


@transaction.atomic
def touch_link(*, link: PartnerLink, ip: str = "") -> None:
    """Note that a partner opened the link, and audit the view."""
    PartnerLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    record(
        by=f"partner link {link.public_id}", action="referral.partner_view", obj=link.referral,
        person=link.referral.person, detail={"via": "link"}, ip=ip,
    )


@transaction.atomic
def set_policy(
    *, by: Any, site: Any, stale_after_business_days: int, link_valid_days: int, ip: str = ""
) -> ReferralPolicy:
    """Change a site's loop-closure setting."""
    policy, _created = ReferralPolicy.objects.get_or_create(site=site)
    policy.stale_after_business_days = stale_after_business_days
    policy.link_valid_days = link_valid_days
    policy.full_clean(exclude=["site"])
    policy.save()
    record(
        by=by, action="referral.policy", site=site,
        detail={"stale_after_business_days": stale_after_business_days,
                "link_valid_days": link_valid_days}, ip=ip,
    )
    return policy


@transaction.atomic
def link_partner_account(*, by: Any, user: Any, organization: Any, ip: str = "") -> PartnerAccount:
    """Let a user holding the partner role see the referrals sent to an organisation."""
    account, created = PartnerAccount.objects.get_or_create(user=user, organization=organization)
    if not created and not account.active:
        account.active = True
        account.save(update_fields=["active"])
    record(
        by=by, action="referral.partner_account",
        detail={"user": str(user.public_id), "organization": str(organization.public_id)}, ip=ip,
    )
    return account


@transaction.atomic
def apply_task_updates(*, by: Any, updates: list) -> list[tuple[str, str]]:
    """Apply partners' FHIR Task updates; all or nothing. Return (referral id, what happened).

    Each update must name a sent referral, come from the organisation it was sent to
    (when the Task names an owner), and make a change a partner may make.
    """
    results: list[tuple[str, str]] = []
    for update in updates:
        try:
            ref = uuid.UUID(update.referral_id)
        except ValueError:
            raise TransitionError(f"{update.referral_id}: not a referral id") from None
        referral = (
            Referral.objects.select_related("person", "person__site", "organization")
            .filter(public_id=ref).exclude(status="draft").first()
        )
        if referral is None:
            raise TransitionError(f"{update.referral_id}: no such referral")
        if update.owner_id and (
            referral.organization is None or str(referral.organization.public_id) != update.owner_id
        ):
            raise TransitionError(f"{update.referral_id}: the Task owner is not the partner it was sent to")
        if update.status == referral.status:
            results.append((update.referral_id, f"unchanged ({referral.status})"))
            continue
        before = referral.status
        try:
            change_status(
                by=by, referral=referral, to_status=update.status, reason=update.reason,
                outcome=update.outcome, actor_kind="fhir_import",
            )
        except TransitionError as exc:
            raise TransitionError(f"{update.referral_id}: {exc}") from None
        results.append((update.referral_id, f"{before} -> {update.status}"))
    return results
