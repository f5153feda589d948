"""`safehaven worker`: run background tasks and send reminders safely."""

import time

from django.core.management.base import BaseCommand
from django.tasks import task_backends
from django.utils.crypto import get_random_string


class Command(BaseCommand):
    help = "Run background tasks (reminders) from the database queue, with safe reconciliation."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="do one pass and exit")
        parser.add_argument("--interval", type=float, default=15.0,
                            help="seconds between passes (default 15)")

    def handle(self, *args, once: bool, interval: float, **options):
        from safehaven.core.dbstats import Every
        from safehaven.followup.delivery import sweep

        interval = max(interval, 1.0)
        worker_id = f"safehaven-{get_random_string(12)}"
        self.stdout.write(f"Worker {worker_id} started.")
        planner_statistics = Every()
        while True:
            # First settle reminders a stopped worker left half-done, then send what is due.
            counts = sweep()
            if counts:
                self.stdout.write("Reminders: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            self._run_queue(worker_id)
            planner_statistics()  # keeps the query plans right as the data grows
            if once:
                return
            time.sleep(interval)

    def _run_queue(self, worker_id: str) -> None:
        """Run every queued task once (the database backend), if that backend is in use."""
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.management.commands.db_worker import Worker

        backend = task_backends["default"]
        if not isinstance(backend, DatabaseBackend):
            return
        Worker(
            queue_names=sorted(backend.queues) or ["default"], interval=0, batch=True,
            backend_name="default", startup_delay=False, max_tasks=None, worker_id=worker_id,
            excluded_queue_names=[],
        ).run()
