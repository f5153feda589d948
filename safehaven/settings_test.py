"""Settings for the test suite: the normal settings with SAFEHAVEN_ENV=test."""

import os

os.environ["SAFEHAVEN_ENV"] = "test"
os.environ.setdefault("SAFEHAVEN_VAR_DIR", "/tmp/safehaven-test-var")

from safehaven.settings import *  # noqa: E402,F403
