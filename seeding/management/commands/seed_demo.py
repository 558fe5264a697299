from django.core.management.base import BaseCommand, CommandError

from contentops.env import env_str
from seeding.demo import DEFAULT_PASSWORD, DemoSeedError, seed_demo


class Command(BaseCommand):
    help = (
        "Load demo personas, videos, tasks, media (uploaded to S3), safety reports, "
        "publish receipts and one user per role. Safe to run again: existing demo data "
        "is reused. The users' password is $DEMO_PASSWORD (default: "
        f"{DEFAULT_PASSWORD!r})."
    )

    def handle(self, *args, **options):
        password = env_str("DEMO_PASSWORD", "") or DEFAULT_PASSWORD
        try:
            seeded = seed_demo(password=password)
        except DemoSeedError as error:
            raise CommandError(str(error)) from None
        counts = ", ".join(f"{count} {name}" for name, count in seeded.counts.items())
        if seeded.created:
            self.stdout.write(self.style.SUCCESS(f"Created demo data: {counts}."))
        else:
            self.stdout.write(f"Demo data already present, reused: {counts}.")
            if seeded.restored_media:
                self.stdout.write(f"Uploaded {seeded.restored_media} media files S3 had lost.")
        self.stdout.write("Demo users (log in at /admin/):")
        for user in seeded.users:
            self.stdout.write(f"  {user.username:<10} password: {password}  ({user.role})")
