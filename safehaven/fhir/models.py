"""Models of the fhir capability."""

from django.db import models  # noqa: F401
