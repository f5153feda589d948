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
    """Return a Markdown table for the larger run, with growth from the smaller one and budget marks.

    Wall times include waiting for a CPU on a shared machine; CPU times (the thread's own)
    do not, so growth and the ratio to the floor are given for both.
    """
    rows = ["| request | queries | median ms | p95 ms | CPU median / p95 ms | growth p95 (wall / CPU) "
            "| floor median ms (wall / CPU) | × floor (wall / CPU) |",
            "|---|---|---|---|---|---|---|---|"]
    big = large or small
    for name, s in big["scenarios"].items():
        if not s.get("available"):
            rows.append(f"| {name} | — | not available: {s.get('reason', '')} | | | | | |")
            continue
        before = (small["scenarios"].get(name) or {}) if large else {}
        growth = ""
        if before.get("available") and before.get("p95_ms"):
            g_wall, g_cpu = s["p95_ms"] / before["p95_ms"], s["cpu_p95_ms"] / max(before["cpu_p95_ms"], 0.01)
            growth = f"{g_wall:.2f}× / {g_cpu:.2f}×{_mark(g_cpu <= BUDGET_GROWTH)}"
        p95_ok = s["p95_ms"] <= BUDGET_P95_MS if name in {"chart", "worklist"} else None
        cpu_ok = s["cpu_p95_ms"] <= BUDGET_P95_MS if name in {"chart", "worklist"} else None
        floor = s.get("floor") or {}
        ratio = ""
        if floor:
            r_cpu = s["cpu_median_ms"] / max(floor["cpu_median_ms"], 0.01)
            ratio = f"{s['ratio_to_floor']}× / {r_cpu:.1f}×{_mark(r_cpu <= BUDGET_FLOOR)}"
        queries = str(s["queries"])
        if before.get("available") and before["queries"] != s["queries"]:
            queries += f" (was {before['queries']})"
        rows.append(
            f"| {name} | {queries} | {s['median_ms']} | {s['p95_ms']}{_mark(p95_ok)} "
            f"| {s['cpu_median_ms']} / {s['cpu_p95_ms']}{_mark(cpu_ok)} | {growth} "
            f"| {floor.get('median_ms', '')} / {floor.get('cpu_median_ms', '')} | {ratio} |"
        )
    read = big.get("evaluation_figures_read") or {}
    if read.get("median_ms") is not None:
        before = (small.get("evaluation_figures_read") or {}) if large else {}
        growth = ""
        if before.get("cpu_p95_ms"):
            growth = f"{read['p95_ms'] / before['p95_ms']:.2f}× / {read['cpu_p95_ms'] / before['cpu_p95_ms']:.2f}×"
        rows.append(f"| evaluation figures read (kept 15 min; not a page) | | {read['median_ms']} | {read['p95_ms']} "
                    f"| {read['cpu_median_ms']} / {read['cpu_p95_ms']} | {growth} | | |")
    export = big.get("bulk_export") or {}
    if export.get("available"):
        rate = export.get("resources_per_second") or 0
        per_cpu = export.get("resources_per_cpu_second") or 0
        rows.append(f"| bulk_export | | {export['resources']} resources in {export['seconds']} s | "
                    f"{rate}/s{_mark(rate >= BUDGET_EXPORT)} | {per_cpu}/CPU-s{_mark(per_cpu >= BUDGET_EXPORT)} "
                    f"| | | |")
    elif export:
        rows.append(f"| bulk_export | | not available: {export.get('reason', '')} | | | | | |")
    return "\n".join(rows)
