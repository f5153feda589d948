# ruff: noqa: S603 -- a benchmark script: it runs this checkout's own executables with fixed arguments.
"""Load test: 50 concurrent staff against a production-like server, bounded in time.

    .venv/bin/python bench/load.py [--people 2000] [--users 50] [--seconds 60] [--workers 4]
                                   [--database-url postgres://postgres@127.0.0.1:5432/sh_load]

1. Makes (once) a synthetic network in var/bench/load/ (or in the empty PostgreSQL database
   given with --database-url) encrypted with throwaway test secrets (random, kept in
   var/bench/load/secrets.json, never in the repository).
2. Gives each simulated staff member an account, a caseload and a session signed in with
   both factors, as after a real sign-in (written to var/bench/load/plan.json).
3. Starts gunicorn on 127.0.0.1 only with SAFEHAVEN_ENV=production (DEBUG off, every
   middleware, audit on; HTTPS redirects off because there is no TLS proxy here, so the
   load client sends X-Forwarded-Proto: https).
4. Runs locust headless for the given time and writes bench/results/load-<db>.json:
   requests/s, latency percentiles per request, and every error.
"""

import argparse
import base64
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(var_dir: Path, database_url: str = "", **extra) -> dict:
    keys_file = var_dir / "secrets.json"
    if not keys_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        keys_file.write_text(json.dumps({
            "SAFEHAVEN_SECRET_KEY": secrets.token_urlsafe(48),
            "SAFEHAVEN_FIELD_KEYS": "load1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "SAFEHAVEN_AUDIT_KEY": secrets.token_urlsafe(48),
        }))
        keys_file.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # only the one asked for
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(json.loads(keys_file.read_text()))
    env["SAFEHAVEN_VAR_DIR"] = str(var_dir)
    env.update(extra)
    return env


def _machine_cpu() -> tuple[float, float]:
    """Return (busy, all) CPU seconds of the whole machine since boot, from /proc/stat (Linux)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0, 0.0
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def _tree_cpu(root: int) -> float:
    """Return the CPU seconds (user + system) used so far by a process and its children."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root or ppid == root:
            total += (int(fields[11]) + int(fields[12])) / hz  # utime, stime
    return total


def _run(args: list[str], env: dict) -> None:
    subprocess.run([str(VENV_BIN / "safehaven"), *args], env=env, cwd=ROOT, check=True)


PREPARE = r"""
import json, random, sys
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from safehaven.accounts.models import Membership, Site, User
from safehaven.accounts.roles import ensure_default_roles
from safehaven.people.models import CareTeamMember, Person
from safehaven.testing.factories import login
from django.conf import settings

users, caseload, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
roles = ensure_default_roles()
site = Site.objects.order_by("pk").first()
ids = list(Person.objects.filter(site=site).order_by("pk").values_list("pk", "public_id"))
rng = random.Random(42)
plan = {"cookie_name": settings.SESSION_COOKIE_NAME, "sessions": []}
for n in range(users):
    user, created = User.objects.get_or_create(username=f"load-staff-{n:02d}",
                                               defaults={"display_name": f"Load staff {n:02d}"})
    if created:
        Membership.objects.create(user=user, site=site, role=roles["clinician" if n % 3 else "advocate"])
        TOTPDevice.objects.create(user=user, name="load", confirmed=True)
        CareTeamMember.objects.bulk_create(
            [CareTeamMember(person_id=pk, user=user) for pk, _p in rng.sample(ids, k=min(caseload, len(ids)))],
            ignore_conflicts=True)
    people = [str(p) for p in Person.objects.filter(care_team__user=user).values_list("public_id", flat=True)]
    client = login(Client(), user)
    plan["sessions"].append({"session": client.cookies[settings.SESSION_COOKIE_NAME].value, "people": people,
                             "clinical": bool(n % 3)})
open(out, "w").write(json.dumps(plan))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--caseload", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2)
    parser.add_argument("--var", default=str(ROOT / "var" / "bench" / "load"))
    parser.add_argument("--database-url", default="",
                        help="an empty PostgreSQL database to fill and load (default: SQLite in --var)")
    args = parser.parse_args()
    if not (1 <= args.users <= 500 and 5 <= args.seconds <= 600):
        parser.error("--users must be 1..500 and --seconds 5..600")
    var_dir = Path(args.var)
    var_dir = var_dir / "postgresql" if args.database_url else var_dir
    dev = _env(var_dir, args.database_url, SAFEHAVEN_ENV="development")
    if not (var_dir / ("generated" if args.database_url else "safehaven.sqlite3")).exists():
        _run(["migrate", "-v0"], dev)
        _run(["bench", "--generate", str(args.people), "--services", str(args.services)], dev)
        if args.database_url:
            (var_dir / "generated").write_text(args.database_url.rsplit("@", 1)[-1] + "\n")
    plan_file = var_dir / "plan.json"
    subprocess.run([str(VENV_BIN / "python"), "-c",
                    "import django, sys; django.setup(); exec(sys.argv[1])", PREPARE,
                    str(args.users), str(args.caseload), str(plan_file)],
                   env={**dev, "DJANGO_SETTINGS_MODULE": "safehaven.settings"}, cwd=ROOT, check=True)
    port = _free_port()
    prod = _env(var_dir, args.database_url, SAFEHAVEN_ENV="production", SAFEHAVEN_SSL_REDIRECT="false",
                SAFEHAVEN_ALLOWED_HOSTS="127.0.0.1", SAFEHAVEN_LOG_LEVEL="ERROR")
    _run(["collectstatic", "--noinput", "-v0"], prod)
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "safehaven.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
         "--access-logfile", "-", "--access-logformat", "%(s)s %(m)s %(U)s", "--error-logfile",
         str(var_dir / "gunicorn-errors.log")],
        env=prod, cwd=ROOT, stdout=open(var_dir / "access.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        prefix = var_dir / "locust"
        time.sleep(3)  # let every worker finish importing before the clock starts
        server_cpu, machine, children = _tree_cpu(server.pid), _machine_cpu(), os.times()
        started = time.time()
        subprocess.run(
            [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "-H", f"http://127.0.0.1:{port}",
             "--csv", str(prefix), "--only-summary", "--loglevel", "ERROR"],
            env={**os.environ, "SAFEHAVEN_LOAD_PLAN": str(plan_file)}, cwd=ROOT, check=False,
        )
        elapsed = time.time() - started
        after, machine_after = os.times(), _machine_cpu()
        cpu = {
            "server_seconds": round(_tree_cpu(server.pid) - server_cpu, 1),
            "load_generator_seconds": round((after.children_user + after.children_system)
                                            - (children.children_user + children.children_system), 1),
            "machine_busy_seconds": round(machine_after[0] - machine[0], 1),
            "machine_seconds": round(machine_after[1] - machine[1], 1),
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    result = _summarise(prefix, args, elapsed)
    served = max(result["aggregated"].get("requests", 0), 1)
    cpu["server_ms_per_request"] = round(cpu["server_seconds"] * 1000 / served, 2)
    cpu["load_generator_ms_per_request"] = round(cpu["load_generator_seconds"] * 1000 / served, 2)
    cpu["machine_busy_share"] = round(cpu["machine_busy_seconds"] / max(cpu["machine_seconds"], 1e-9), 3)
    result["cpu"] = cpu
    out = ROOT / "bench" / "results" / f"load-{'postgresql' if args.database_url else 'sqlite'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    agg = result["aggregated"]
    print(f"{agg['requests']} requests, {agg['failures']} failures, {agg['rps']} req/s, "
          f"median {agg['median_ms']} ms, p95 {agg['p95_ms']} ms, p99 {agg['p99_ms']} ms; CPU a request: "
          f"server {cpu['server_ms_per_request']} ms, load generator {cpu['load_generator_ms_per_request']} ms, "
          f"machine busy {cpu['machine_busy_share']:.0%} -> {out}")
    return 0 if agg["failures"] == 0 else 1


def _summarise(prefix: Path, args, elapsed: float) -> dict:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))  # noqa: SIM115
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv")))  # noqa: SIM115

    def row(r: dict) -> dict:
        return {
            "requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
            "rps": round(float(r["Requests/s"]), 1), "median_ms": float(r["50%"] or 0),
            "p95_ms": float(r["95%"] or 0), "p99_ms": float(r["99%"] or 0), "max_ms": float(r["Max Response Time"] or 0),
        }

    per = {r["Name"]: row(r) for r in rows if r["Name"] != "Aggregated"}
    agg = next((row(r) for r in rows if r["Name"] == "Aggregated"), {})
    return {
        "users": args.users, "seconds": args.seconds, "wall_seconds": round(elapsed, 1), "workers": args.workers,
        "people": args.people, "server": "gunicorn (sync workers), SAFEHAVEN_ENV=production, DEBUG off",
        "database": "PostgreSQL" if args.database_url else "SQLite",
        "nproc": os.cpu_count(), "load_average": [round(x, 1) for x in os.getloadavg()],
        "aggregated": agg, "requests": per,
        "errors": [{"name": f["Name"], "error": f["Error"], "count": int(f["Occurrences"])} for f in failures],
    }


if __name__ == "__main__":
    sys.exit(main())
