"""Delete the grants and group memberships whose ``expires_at`` has passed, one audit event per row.

An expired grant or membership counts for nothing from its ``expires_at`` on, whether or not this has
run; it only clears away the rows that no longer mean anything. Run it periodically, say hourly from cron:

    python manage.py purge_expired_access
"""

from django.core.management.base import BaseCommand, CommandError

from permissions.services.expiry import BATCH_SIZE, purge_expired_access


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


class Command(BaseCommand):
    help = "Delete expired grants, member groups and group memberships, auditing each (run it periodically, e.g. hourly)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Rows removed per transaction, each organization on its own (default {BATCH_SIZE}).",
        )

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        result = purge_expired_access(batch_size=batch_size)
        self.stdout.write(
            f"Removed {_count(result.grants, 'expired grant', 'expired grants')}, "
            f"{_count(result.member_users, 'expired group membership', 'expired group memberships')} "
            f"and {_count(result.member_groups, 'expired member group', 'expired member groups')}"
            f" in {_count(len(result.organizations), 'organization', 'organizations')}."
        )
        if result.kept:
            self.stdout.write(
                f"Kept {_count(result.kept, 'expired row', 'expired rows')} that must stay: Owners' grants on their "
                "organization, and the last direct members of Owners."
            )
