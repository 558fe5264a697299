from django.core.management.base import BaseCommand

from insights import rollups


class Command(BaseCommand):
    help = (
        "Recount the dashboard's rollups from the tables they summarise, in one "
        "transaction (writers to those tables wait meanwhile). Run it after loading "
        "rows with triggers off (seed_scale does), or to repair. Task durations and "
        "queue samples are observations and are kept."
    )

    def handle(self, *args, **options):
        written = rollups.rebuild()
        for table, rows in written.items():
            self.stdout.write(f"  {table:<28} {rows:>8,} rows")
        self.stdout.write(self.style.SUCCESS("Rollups rebuilt."))
