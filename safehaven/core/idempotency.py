"""Create-once form submissions.

A create form carries a one-time token (`{% form_token %}`). The view runs its action and
`remember_submission` in one transaction; a second submission of the same token (double
click, a retry after a lost response) finds the first result and is sent there instead of
creating a second record. Two submissions racing each other collide on the unique token and
the loser's transaction rolls back whole.
"""

import uuid
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.shortcuts import redirect

from safehaven.core.models import SubmittedForm


def parse_token(request) -> uuid.UUID | None:
    """Return the form's one-time token, or None if it has none or a malformed one."""
    try:
        return uuid.UUID(request.POST.get("form_token", ""))
    except ValueError:
        return None


def previous_result(request):
    """Return a redirect to what this token already created, or None."""
    token = parse_token(request)
    if token is None:
        return None
    prior = SubmittedForm.objects.filter(token=token, user=request.user).first()
    return redirect(prior.result_url) if prior else None


def create_once(request, create: Callable[[], object], url_of: Callable[[object], str]):
    """Run `create` once per form token and return a redirect to its result."""
    token = parse_token(request)
    try:
        with transaction.atomic():
            result = create()
            url = url_of(result)
            if token is not None:
                SubmittedForm.objects.create(token=token, user=request.user, result_url=url)
    except IntegrityError:
        prior = previous_result(request)
        if prior is not None:
            return prior
        raise
    return redirect(url)
