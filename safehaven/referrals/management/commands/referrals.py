import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safehaven.fhir.resources.referrals import TaskUpdateError, parse_task_update
from safehaven.referrals import actions

MAX_BYTES = 10 * 1024 * 1024


class Command(BaseCommand):
    help = "Referrals: `referrals import-task FILE` applies partners' FHIR Task status updates."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, title="subcommands")
        imp = sub.add_parser(
            "import-task",
            help="apply FHIR R4 Task updates (a Task, or a Bundle of Tasks) from a JSON file; "
                 "a bad file changes nothing",
        )
        imp.add_argument("file", help="path to the JSON file")

    def handle(self, *args, sub, **options):
        path = Path(options["file"])
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(f"{path}: larger than 10 MB")
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: not readable JSON ({exc})") from None
        except RecursionError:
            raise CommandError(f"{path}: the JSON is nested too deeply to be a FHIR Task") from None
        resources = self._tasks(data)
        updates = []
        for number, resource in enumerate(resources, start=1):
            try:
                updates.append(parse_task_update(resource))
            except TaskUpdateError as exc:
                raise CommandError(f"Task {number}: {exc}. Nothing was changed.") from None
        try:
            results = actions.apply_task_updates(by=f"FHIR import {path.name}", updates=updates)
        except actions.TransitionError as exc:
            raise CommandError(f"{exc}. Nothing was changed.") from None
        for referral_id, what in results:
            self.stdout.write(f"{referral_id}: {what}")
        changed = sum(1 for _r, what in results if "->" in what)
        self.stdout.write(f"{changed} updated, {len(results) - changed} unchanged.")

    def _tasks(self, data):
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            entries = data.get("entry") or []
            if not isinstance(entries, list):
                raise CommandError("the Bundle's entry is not a list")
            tasks = [e.get("resource") for e in entries if isinstance(e, dict)]
            if not tasks:
                raise CommandError("the Bundle holds no Task")
            return tasks
        if isinstance(data, dict) and data.get("resourceType") == "Task":
            return [data]
        raise CommandError("expected a FHIR Task or a Bundle of Tasks")
