"""Test support: factories, personas, and where the shared standards data lives."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The standards data (HSDS schema and examples) sits in ../shared beside the repository,
# in development and in CI alike; SAFEHAVEN_SHARED_DIR may point elsewhere.
SHARED = Path(os.environ.get("SAFEHAVEN_SHARED_DIR", REPO.parent / "shared"))
HSDS_EXAMPLES = SHARED / "standards" / "hsds-3.0" / "examples"
