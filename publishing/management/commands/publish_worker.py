import signal

from django.core.management.base import BaseCommand

from publishing.worker import Worker


class Command(BaseCommand):
    help = (
        "Publish approved videos: claim due publish tasks and call their channels. "
        "Run as many as you like, on any machines. SIGTERM or Ctrl-C stops a worker "
        "after the tasks in hand."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Publish what is due now, then exit."
        )
        parser.add_argument("--name", help="This worker's name in leases (default host:pid).")
        parser.add_argument(
            "--poll",
            type=float,
            help="Most seconds between looks at an idle queue (default PUBLISH_POLL_SECONDS).",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            choices=range(1, 65),
            metavar="N",
            help="Publishes in flight at once, 1 to 64 (default PUBLISH_CONCURRENCY).",
        )

    def handle(self, *args, once=False, name=None, poll=None, concurrency=None, **options):
        worker = Worker(name=name, poll=poll, concurrency=concurrency)
        signal.signal(signal.SIGTERM, worker.stop)
        signal.signal(signal.SIGINT, worker.stop)
        handled = worker.run(once=once)
        self.stdout.write(f"Publish worker {worker.name}: {handled} tasks handled.")
