"""Models of the evaluation capability."""

from django.db import models  # noqa: F401
