"""Models of the careplans capability."""

from django.db import models  # noqa: F401
