"""The built-in online-scoring worker: runs queued scoring jobs, needing no service but the database."""

import time

from django.core.management.base import BaseCommand

from projects.scoring.runner import run_pending


class Command(BaseCommand):
    help = "Run online-scoring jobs as they are queued (make run starts this beside the web server)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the jobs pending now, then stop.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to wait when no job is pending (default 1).")

    def handle(self, *args, once: bool, interval: float, **options):
        if once:
            ran = run_pending()
            self.stdout.write(f"Ran {ran} scoring job{'s' if ran != 1 else ''}.")
            return
        self.stdout.write("Scoring worker started; waiting for jobs.")
        try:
            while True:
                if not run_pending(limit=100):
                    time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("Scoring worker stopped.")
