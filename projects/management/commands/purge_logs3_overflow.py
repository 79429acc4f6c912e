"""Delete the /logs3 overflow uploads that have expired or were consumed, with their stored payloads.

A payload is deleted as soon as ``/logs3`` takes it; what is left behind is the uploads that were never
taken before their URL expired (``LOGS3_OVERFLOW_URL_TTL_SECONDS``), their rows, and the files of takes
whose deletion failed. Run it periodically, say hourly from cron:

    python manage.py purge_logs3_overflow
"""

from django.core.management.base import BaseCommand

from projects.events.overflow import overflow_uploads_purge


class Command(BaseCommand):
    help = "Delete expired and consumed /logs3 overflow uploads and their stored payloads (run it periodically)."

    def handle(self, *args, **options):
        purged = overflow_uploads_purge()
        self.stdout.write(f"Purged {purged} logs3 overflow upload{'s' if purged != 1 else ''}.")
