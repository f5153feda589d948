"""Settings for the test suite: the normal settings with SAFEHAVEN_ENV=test."""

import os
import tempfile

os.environ["SAFEHAVEN_ENV"] = "test"
# A private folder per test process, so parallel runs never share a database file.
os.environ["SAFEHAVEN_VAR_DIR"] = tempfile.mkdtemp(prefix="safehaven-test-")

from safehaven.settings import *  # noqa: E402,F403

# The SQLite test database is a real file, so a test can prove that the bytes on disk
# hold no plaintext of encrypted fields.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# Tests read the evaluation figures afresh each time unless a test asks to keep them.
EVALUATION_FIGURES_MAX_AGE = 0
