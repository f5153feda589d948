"""Models of the followup capability."""

from django.db import models  # noqa: F401
