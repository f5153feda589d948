"""Emergency ("break the glass") access grants."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from safehaven.lib.models import ChoiceLabels
from safehaven.people.models import Person


class BreakGlassGrant(ChoiceLabels, models.Model):
    """Time-limited access to a record outside one's care team, with a stated reason."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "user": "none",
        "person": "none",
        "reason": "sensitive",
        "created_at": "none",
        "expires_at": "none",
        "reviewed_at": "none",
        "reviewed_by": "none",
        "review_note": "sensitive",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="break_glass_grants")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "person", "expires_at"], name="bg_user_person_exp")]

    def __str__(self) -> str:
        return f"break-glass {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()
