from django.core.management.base import BaseCommand, CommandError

from contentops.retention import prune_history, retention_off_reason

BATCH_LIMIT = 100_000


class Command(BaseCommand):
    help = (
        "Delete history events older than HISTORY_RETENTION_DAYS, in small batches "
        "(HISTORY_PRUNE_BATCH events per table, each its own transaction), with the "
        "request contexts left without events. The review log is never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            help="events per batch (default HISTORY_PRUNE_BATCH)",
        )

    def handle(self, *args, **options):
        size = options["batch_size"]
        if size is not None and not 1 <= size <= BATCH_LIMIT:
            raise CommandError(f"--batch-size must be from 1 to {BATCH_LIMIT}.")
        off = retention_off_reason()
        if off:
            self.stdout.write(off)
            return
        pruned = prune_history(
            batch_size=size,
            dry_run=options["dry_run"],
            progress=self._progress if options["verbosity"] > 1 else None,
        )
        verb = "Would delete" if options["dry_run"] else "Deleted"
        for table, count in pruned.events.items():
            self.stdout.write(f"  {table:<32} {count:>12,}")
        contexts = "" if options["dry_run"] else f" and {pruned.contexts:,} contexts"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {pruned.total:,} history events{contexts} older than "
                f"{pruned.before:%Y-%m-%d %H:%M} UTC"
                + ("" if options["dry_run"] else f", in {pruned.batches} batches")
                + "."
            )
        )

    def _progress(self, table: str, events: int, contexts: int) -> None:
        self.stdout.write(f"  {table}: {events} events, {contexts} contexts")
