"""Models of the referrals capability."""

from django.db import models  # noqa: F401
