"""Write benchmark results (bench/results/*.json) and render the table for docs/benchmarks.md."""

import json
import os
import platform
import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import connection

RESULTS = Path(settings.BASE_DIR) / "bench" / "results"
BUDGET_P95_MS = 50.0
BUDGET_GROWTH = 1.2
BUDGET_FLOOR = 2.0
BUDGET_EXPORT = 20000


def machine() -> dict:
    """Describe the machine and the database the figures come from."""
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    db_version = ""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            db_version = "PostgreSQL " + cur.fetchone()[0]
        else:
            db_version = "SQLite " + sqlite3.sqlite_version
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "nproc": os.cpu_count(), "memory": mem, "python": platform.python_version(),
        "platform": platform.platform(), "database": db_version, "load_average": [round(x, 1) for x in load],
    }


def save(name: str, data: dict) -> Path:
    """Write one result file and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _mark(ok: bool | None) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


def table(small: dict, large: dict | None) -> str:
    """Return a Markdown table: median/p95 at both sizes, growth, floor and ratio, with budget marks."""
    rows = ["| request | queries | median ms | p95 ms | growth p95 | floor median ms | × floor | CPU median ms |",
            "|---|---|---|---|---|---|---|---|"]
    big = large or small
    for name, s in big["scenarios"].items():
        if not s.get("available"):
            rows.append(f"| {name} | — | not available: {s.get('reason', '')} | | | | | |")
            continue
        before = (small["scenarios"].get(name) or {}) if large else {}
        growth = None
        if before.get("available") and before.get("p95_ms"):
            growth = s["p95_ms"] / before["p95_ms"]
        p95_ok = s["p95_ms"] <= BUDGET_P95_MS if name in {"chart", "worklist"} else None
        floor = s.get("floor", {}).get("median_ms")
        ratio = s.get("ratio_to_floor")
        rows.append(
            f"| {name} | {s['queries']}"
            + (f" (was {before['queries']})" if before.get("available") and before["queries"] != s["queries"] else "")
            + f" | {s['median_ms']} | {s['p95_ms']}{_mark(p95_ok)}"
            + f" | {'' if growth is None else f'{growth:.2f}×' + _mark(growth <= BUDGET_GROWTH)}"
            + f" | {'' if floor is None else floor} | {'' if ratio is None else f'{ratio}×' + _mark(ratio <= BUDGET_FLOOR)}"
            + f" | {s['cpu_median_ms']} |"
        )
    export = big.get("bulk_export") or {}
    if export.get("available"):
        rate = export.get("resources_per_second") or 0
        rows.append(f"| bulk_export | | {export['resources']} resources in {export['seconds']} s "
                    f"= {rate}/s{_mark(rate >= BUDGET_EXPORT)} | | | | | "
                    f"{export.get('resources_per_cpu_second')}/CPU-s |")
    elif export:
        rows.append(f"| bulk_export | | not available: {export.get('reason', '')} | | | | | |")
    return "\n".join(rows)
