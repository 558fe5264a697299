import signal

from django.core.management.base import BaseCommand

from publishing.worker import Worker


class Command(BaseCommand):
    help = (
        "Publish approved videos: claim due publish tasks and call their channels. "
        "Run as many as you like, on any machines. SIGTERM or Ctrl-C stops a worker "
        "after the task in hand."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Publish what is due now, then exit."
        )
        parser.add_argument("--name", help="This worker's name in leases (default host:pid).")
        parser.add_argument(
            "--poll",
            type=float,
            help="Seconds between looks at an empty queue (default PUBLISH_POLL_SECONDS).",
        )

    def handle(self, *args, once=False, name=None, poll=None, **options):
        worker = Worker(name=name, poll=poll)
        signal.signal(signal.SIGTERM, worker.stop)
        signal.signal(signal.SIGINT, worker.stop)
        handled = worker.run(once=once)
        self.stdout.write(f"Publish worker {worker.name}: {handled} tasks handled.")
