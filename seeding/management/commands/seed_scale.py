from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from seeding.scale import DEFAULT_BATCH_SIZE, ScaleSeedError, seed_scale
from seeding.scale_history import event_counts


class Command(BaseCommand):
    help = (
        "Load a large, realistic dataset for benchmarks: videos 1..N with their personas, "
        "tasks, artifact rows (no S3 objects), safety reports, review logs and publish "
        "receipts, and the history events of their lives. Deterministic and resumable: "
        "a rerun loads only the videos (and history) that are missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--videos", type=int, required=True, help="how many videos (N)")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"videos per transaction (default {DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument(
            "--jobs", type=int, default=2, help="batches loading at once (default 2)"
        )
        parser.add_argument(
            "--check-foreign-keys",
            action="store_true",
            help="check foreign keys while loading (slower; the default skips them "
            "when the database role may)",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="load the rows only, without the events of their history",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        videos = options["videos"]
        quiet = options["no_progress"]
        with (
            tqdm(total=videos, unit="video", unit_scale=True, disable=quiet) as bar,
            tqdm(
                total=videos,
                unit="video",
                unit_scale=True,
                desc="history",
                disable=quiet or options["no_history"],
            ) as history_bar,
        ):
            try:
                seeded = seed_scale(
                    videos=videos,
                    batch_size=options["batch_size"],
                    jobs=options["jobs"],
                    check_foreign_keys=options["check_foreign_keys"] or None,
                    progress=bar.update,
                    history=not options["no_history"],
                    history_progress=history_bar.update,
                )
            except ScaleSeedError as error:
                raise CommandError(str(error)) from None
        if seeded.loaded:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {seeded.loaded} of {videos} videos in {seeded.seconds:.1f} s."
                )
            )
        else:
            self.stdout.write(f"All {videos} videos were loaded already ({seeded.seconds:.1f} s).")
        for table, count in seeded.counts.items():
            self.stdout.write(f"  {table:<22} {count:>12,}")
        if seeded.history is not None:
            self._history(seeded.history)
        if options["verbosity"] > 1 and seeded.history is not None:
            for step, seconds in sorted(seeded.history.timings.items(), key=lambda i: -i[1]):
                self.stdout.write(f"  {step:<22} {seconds:>10.1f}")
        if options["verbosity"] > 1:
            checked = "checked" if seeded.check_foreign_keys else "skipped"
            self.stdout.write(f"Seconds per step, summed over jobs (foreign keys {checked}):")
            for step, seconds in sorted(seeded.timings.items(), key=lambda item: -item[1]):
                self.stdout.write(f"  {step:<22} {seconds:>10.1f}")

    def _history(self, history):
        if history.batches:
            self.stdout.write(
                f"History: {history.events:,} events in {history.batches} batches "
                f"({history.seconds:.1f} s)."
            )
        else:
            self.stdout.write(f"History: loaded already ({history.seconds:.1f} s).")
        for table, count in event_counts().items():
            self.stdout.write(f"  {table:<32} ~{count:>12,}")
