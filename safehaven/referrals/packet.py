"""The minimal referral packet: only what the person's consent allows for this partner.

The packet holds the request itself (need, service, priority, who sent it) and one
section per data category that was both asked for and permitted by
`consent.decision.may_disclose` for the partner organisation and the purpose
"referral". Nothing else about the person goes into it: no legal name, no address
of any directory location (confidential shelters included), no clinical record.
"""

from typing import Any

from django.utils import timezone

from safehaven.consent.decision import Decision, Recipient, may_disclose
from safehaven.referrals.models import NEED_RECIPIENT, Referral

PURPOSE = "referral"


def recipient_category(referral: Referral) -> str:
    """Return the consent recipient category of the partner receiving this referral.

    A service that involves law enforcement is treated as law enforcement (which needs a
    consent naming it); otherwise the category follows the need the service meets.
    """
    service = referral.service
    if service is not None and getattr(service, "involves_law_enforcement", False):
        return "law_enforcement"
    org = referral.organization
    if org is not None and getattr(org, "involves_law_enforcement", False):
        return "law_enforcement"
    return NEED_RECIPIENT.get(referral.need_domain, "other")


def recipient_for(referral: Referral) -> Recipient:
    """Return the consent recipient (the partner organisation) of a referral."""
    org_ref = str(referral.organization.public_id) if referral.organization_id else ""
    return Recipient(
        kind="organization",
        category=recipient_category(referral),
        ref=org_ref,
        label=referral.organization_name,
    )


def decide(referral: Referral, *, at: Any = None) -> Decision:
    """Ask the consent decision which requested categories may go to the partner."""
    return may_disclose(
        referral.person, recipient_for(referral), PURPOSE, list(referral.requested_categories), at=at
    )


def _identity_section(referral: Referral, text: str) -> dict:
    person = referral.person
    contact = getattr(person, "contact", None)
    section: dict[str, Any] = {
        "name": person.chosen_name,
        "pronouns": person.pronouns,
        "preferred_language": person.preferred_language,
        "interpreter_needed": person.interpreter_needed,
        "age": person.age if person.age is not None else person.age_band,
    }
    if contact is None or contact.do_not_contact:
        section["contact"] = {"through_clinic_only": True}
    else:
        section["contact"] = {
            "through_clinic_only": False,
            "channels": list(contact.channels),
            "phone": contact.phone if {"sms", "phone"} & set(contact.channels) else "",
            "email": contact.email if "email" in contact.channels else "",
            "safe_hours": f"{contact.safe_hours_start:%H:%M}-{contact.safe_hours_end:%H:%M}",
            "time_zone": contact.time_zone,
            "voicemail_ok": contact.voicemail_ok,
        }
    if text:
        section["summary"] = text
    return section


def build_packet(referral: Referral, decision: Decision, *, at: Any = None) -> dict:
    """Return the packet for the permitted categories of `decision` (a JSON-able dict)."""
    summaries = referral.summary_map
    sections: dict[str, dict] = {}
    for category in decision.permitted:
        text = summaries.get(category, "")
        if category == "identity_contact":
            sections[category] = _identity_section(referral, text)
        else:
            sections[category] = {"summary": text}
    return {
        "referral": str(referral.public_id),
        "need": referral.need_domain,
        "service": referral.service_name,
        "organization": referral.organization_name,
        "priority": referral.priority,
        "from": referral.site.name,
        "sent_at": (at or timezone.now()).isoformat(),
        "categories": sections,
    }


def visible_packet(referral: Referral, *, at: Any = None) -> dict:
    """Return the sent packet cut down to what consent still permits now.

    A consent revoked or expired after sending hides those sections from the partner.
    """
    packet = referral.packet_data
    if not packet:
        return {}
    still = set(decide(referral, at=at).permitted)
    packet["categories"] = {
        cat: section for cat, section in packet.get("categories", {}).items() if cat in still
    }
    return packet
