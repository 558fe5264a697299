import signal

from django.core.management.base import BaseCommand

from monitoring.monitor import Monitor


class Command(BaseCommand):
    help = (
        "Watch the review queue's SLA, overdue publishes and failing channels; record "
        "incidents and notify (webhook, email) once each. Run one or more beside the "
        "publish workers, never inside them. SIGTERM or Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            help="Seconds between checks (default MONITOR_INTERVAL_SECONDS).",
        )

    def handle(self, *args, once=False, interval=None, **options):
        monitor = Monitor(interval=interval)
        signal.signal(signal.SIGTERM, monitor.stop)
        signal.signal(signal.SIGINT, monitor.stop)
        rounds = monitor.run(once=once)
        self.stdout.write(f"Monitor: {rounds} rounds.")
