"""Keep the database's query-planner statistics current.

Without statistics SQLite guesses, and at 100,000 people it guessed wrong for the referral
worklist: it walked every open referral instead of the 200 people on a caseload (48 ms
against 6 ms with statistics). `ANALYZE` with an analysis limit samples each index instead
of reading it whole, so it takes milliseconds even on a database of gigabytes. PostgreSQL's
autovacuum keeps its own statistics; after a bulk load we ask it too.

Called after bulk generation (`synth`, `bench --generate`, `demo`) and by the worker every
PLANNER_STATISTICS_EVERY seconds.
"""

import time

from django.db import connections

ANALYSIS_LIMIT = 1000  # rows sampled per index (SQLite)
PLANNER_STATISTICS_EVERY = 3600.0


def refresh(using: str = "default") -> float:
    """Refresh the planner statistics of one database; return the seconds it took."""
    connection = connections[using]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


class Every:
    """Run refresh() at most once per interval (for a long-running process such as the worker)."""

    def __init__(self, interval: float = PLANNER_STATISTICS_EVERY, clock=time.monotonic):
        self.interval = interval
        self.clock = clock
        self.last: float | None = None

    def __call__(self) -> bool:
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            return False
        self.last = now
        refresh()
        return True
