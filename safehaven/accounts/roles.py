"""Create the default roles (idempotent)."""

from safehaven.accounts.models import Role
from safehaven.accounts.permissions import ROLE_DEFAULTS


def ensure_default_roles() -> dict[str, Role]:
    """Create or update the default roles and return them by code."""
    roles = {}
    for code, (name, perms) in ROLE_DEFAULTS.items():
        role, _ = Role.objects.update_or_create(
            code=code, defaults={"name": name, "permissions": [str(p) for p in perms]}
        )
        roles[code] = role
    return roles
