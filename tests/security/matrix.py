"""The authorization matrix: every route, who may use it, and on which records.

Each named route in the URL configuration must have an entry in ROUTES (a test fails
otherwise, so a new route is covered the day it is added). An entry says:

- `perm`: the permission needed (`PUBLIC` for pages anyone may open, `SIGNED_IN` for any staff
  member, `TOKEN` for links that carry their own secret);
- `obj`: the kind of record in the URL (a key of OBJECTS), or None;
- `scope`: "team" (the record's care team, or break-the-glass) or "site" (any record at a site
  where the user holds `perm`, e.g. the administrator's audit views);
- `method`, `data`: how to call it.

From that the test derives, for every role and relationship (own care team, other team at the
same site, other site, anonymous), the expected answer: allowed (anything but 401/403/404/5xx),
403 (the role can never do it), 404 (the record is outside the user's reach, also when another
person's id is swapped into the URL), or a redirect to sign in.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from safehaven.accounts.permissions import Perm

PUBLIC = "public"
SIGNED_IN = "signed_in"
TOKEN = "token"


@dataclass(frozen=True)
class Route:
    perm: object
    obj: str | None = None
    scope: str = "team"
    method: str = "GET"
    data: dict = field(default_factory=dict)
    api: bool = False  # answers 401 JSON instead of redirecting to sign in
    kwargs: Callable | None = None  # extra URL kwargs: kwargs(cast, person) -> dict


# Kinds of record that appear in URLs: make(cast, person) -> the value for the URL.
def _person(cast, person):
    return {"public_id": person.public_id}


def _encounter(cast, person):
    from safehaven.people import actions

    by = cast.alice if person.site_id == cast.site_a.pk else cast.dan
    enc = actions.start_encounter(by=by, person=person, setting="outreach", chief_complaint="matrix")
    return {"public_id": enc.public_id}


def _grant(cast, person):
    from safehaven.access import actions

    by = cast.carol if person.site_id == cast.site_a.pk else cast.dan
    if person.site_id != cast.site_a.pk:
        from safehaven.testing.factories import make_staff

        by = make_staff(f"bg{person.pk}", person.site, "clinician")
    grant = actions.break_glass(by=by, person=person, reason="matrix test reason")
    return {"public_id": grant.public_id}


OBJECTS: dict[str, Callable] = {
    "person": _person,
    "encounter": _encounter,
    "grant": _grant,
}

ROUTES: dict[str, Route] = {
    "home-root": Route(PUBLIC),
    "core:home": Route(PUBLIC),
    "core:neutral": Route(PUBLIC),
    "core:healthz": Route(PUBLIC),
    "core:robots": Route(PUBLIC),
    "set_language": Route(PUBLIC, method="POST", data={"language": "es"}),
    "accounts:login": Route(PUBLIC),
    "accounts:verify": Route(SIGNED_IN),
    "accounts:enroll": Route(SIGNED_IN),
    "accounts:logout": Route(PUBLIC, method="POST"),
    "people:worklist": Route(Perm.VIEW_PERSON),
    "people:register": Route(Perm.REGISTER_PERSON),
    "people:chart": Route(Perm.VIEW_PERSON, obj="person"),
    "people:edit": Route(Perm.EDIT_PERSON, obj="person"),
    "people:start_encounter": Route(Perm.WRITE_CLINICAL, obj="person", method="POST"),
    "people:care_team": Route(Perm.MANAGE_CARE_TEAM, obj="person", method="POST"),
    "people:encounter": Route(Perm.VIEW_CLINICAL, obj="encounter"),
    "access:break_glass": Route(Perm.BREAK_GLASS),
    "access:review": Route(Perm.REVIEW_BREAK_GLASS),
    "access:review_grant": Route(Perm.REVIEW_BREAK_GLASS, obj="grant", scope="site", method="POST"),
    "audit:log": Route(Perm.VIEW_AUDIT),
    "audit:person": Route(Perm.VIEW_AUDIT, obj="person", scope="site"),
    "api:openapi": Route(PUBLIC),
    "api:people": Route(Perm.VIEW_PERSON, api=True),
    "api:person": Route(Perm.VIEW_PERSON, obj="person", api=True),
}
