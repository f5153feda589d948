"""Models of the screening capability."""

from django.db import models  # noqa: F401
