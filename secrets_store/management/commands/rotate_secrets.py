"""Re-encrypt every stored AI secret and environment variable with the first of SECRETS_ENCRYPTION_KEYS.

Run it after putting a new key first (keeping the old ones after it); once it has run, the old keys
decrypt nothing any more and can be removed. Running it again is harmless: every value is simply
re-encrypted with the same first key. Each row is rewritten in its own short transaction, locked while
it is, so the site keeps serving meanwhile; nothing about a value is printed.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from secrets_store.crypto import UndecryptableSecret, rotated
from secrets_store.models import AISecret, EnvVar


class Command(BaseCommand):
    help = "Re-encrypt every stored secret value with the first key of SECRETS_ENCRYPTION_KEYS (safe to run again)."

    def handle(self, *args, **options) -> None:
        for model in (AISecret, EnvVar):
            count = 0
            for pk in model.objects.exclude(encrypted_value="").values_list("pk", flat=True).iterator():
                with transaction.atomic():
                    row = model.objects.select_for_update().filter(pk=pk).exclude(encrypted_value="").first()
                    if row is None:  # deleted or emptied meanwhile
                        continue
                    try:
                        row.encrypted_value = rotated(row.encrypted_value)
                    except UndecryptableSecret as exc:
                        raise CommandError(f"{model._meta.verbose_name} {pk}: {exc} Nothing after it was rotated.") from None
                    row.save(update_fields=["encrypted_value"])
                count += 1
            self.stdout.write(f"Re-encrypted {count} {model._meta.verbose_name_plural}.")
