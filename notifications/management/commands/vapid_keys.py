"""manage.py vapid_keys: a new VAPID key pair for Web Push, as the two lines
the settings take (raw base64url keys, not PEM)."""

from django.core.management.base import BaseCommand

from notifications.push import new_key_pair


class Command(BaseCommand):
    help = "Print a new VAPID key pair as CHATELLY_VAPID_PUBLIC_KEY=... and CHATELLY_VAPID_PRIVATE_KEY=..."

    def handle(self, *args, **options):
        public, private = new_key_pair()
        self.stdout.write(f"CHATELLY_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"CHATELLY_VAPID_PRIVATE_KEY={private}")
