"""The one way to write an audit event."""

from typing import Any

from safehaven.audit import chain
from safehaven.audit.models import AuditEvent


def actor_fields(by: Any) -> tuple[str, str]:
    """Return (actor_id, actor_label) for a user, or for the system."""
    if by is None or isinstance(by, str):
        return ("system", by or "system")
    return (str(by.public_id), by.get_username())


def record(
    *,
    by: Any,
    action: str,
    obj: Any = None,
    person: Any = None,
    site: Any = None,
    reason: str = "",
    detail: dict | None = None,
    ip: str = "",
) -> AuditEvent:
    """Write one audit event inside the caller's transaction and return it."""
    actor_id, actor_label = actor_fields(by)
    if person is None and obj is not None and hasattr(obj, "person"):
        person = obj.person
    if site is None and person is not None:
        site = getattr(person, "site", None)
    event = AuditEvent(
        at=None,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=obj._meta.model_name if obj is not None and hasattr(obj, "_meta") else "",
        object_id=str(getattr(obj, "public_id", "") or "") if obj is not None else "",
        person_id=str(person.public_id) if person is not None else "",
        site_id=str(site.public_id) if site is not None else "",
        reason=reason[:500],
        detail=detail or {},
        ip=ip[:64],
    )
    chain.append([event])
    return event
