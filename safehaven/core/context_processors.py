from django.conf import settings

from safehaven.accounts.permissions import Perm


def safehaven(request):
    """Add what every page needs: the permissions that shape the navigation."""
    user = getattr(request, "user", None)
    nav = {}
    if user is not None and user.is_authenticated and getattr(user, "is_verified", lambda: False)():
        from safehaven.access.gate import has_perm_anywhere
        from safehaven.core.nav import items_for

        nav = {p.name: has_perm_anywhere(user, p) for p in Perm}
        return {"nav": nav, "extra_nav": items_for(user, has_perm_anywhere), "SAFEHAVEN_ENV": settings.ENV}
    return {"nav": nav, "extra_nav": [], "SAFEHAVEN_ENV": settings.ENV}
