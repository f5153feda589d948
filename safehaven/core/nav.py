"""Navigation entries that capabilities add to the header.

register_nav(label, url_name, perm, order) in an app's ready(); the header shows an
entry to users who hold `perm` at any site (perm=None: every signed-in staff member).
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch

from safehaven.lib.urls import row_url


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy translation
    url_name: str
    perm: object
    order: int


NAV_ITEMS: list[NavItem] = []


def register_nav(label, url_name: str, perm=None, order: int = 100) -> None:
    """Add an entry to the header navigation."""
    NAV_ITEMS.append(NavItem(label, url_name, perm, order))


def items_for(user, has_perm) -> list[dict]:
    """Return the entries this user may see, as {"label", "url"} dicts."""
    out = []
    for item in sorted(NAV_ITEMS, key=lambda i: i.order):
        if item.perm is not None and not has_perm(user, item.perm):
            continue
        try:
            out.append({"label": item.label, "url": row_url(item.url_name)})
        except NoReverseMatch:
            continue
    return out
