"""Models of the training capability."""

from django.db import models  # noqa: F401
