"""Models of the directory capability."""

from django.db import models  # noqa: F401
