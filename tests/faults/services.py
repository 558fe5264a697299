"""One test module's private stack: Postgres, S3 and the app, migrated, with a superuser."""

import json
import shutil

from tests.faults.stack import App, PrivatePostgres, PrivateS3, private_folder


class Services:
    """One module's private Postgres and S3, migrated, with a superuser."""

    def __init__(self, channels: dict | None = None):
        self.extra_channels = channels or {}
        self.folder = private_folder("app")
        self.postgres, self.s3 = PrivatePostgres(), PrivateS3()
        try:
            self._start()
        except BaseException:
            self.remove()
            raise

    def _start(self):
        self.postgres.start_new()
        self.s3.start()
        self.channel = self.folder / "channel"
        # Slow enough that a fault lands while workers are publishing.
        channels = {
            "local": {
                "adapter": "local",
                "label": "Local",
                "folder": str(self.channel),
                "delay": 0.1,
            },
            **self.extra_channels,
        }
        self.app = App(
            self.postgres,
            self.s3,
            self.folder,
            PUBLISH_CHANNELS=json.dumps(channels),
            PUBLISH_POLL_SECONDS="0.1",
            PUBLISH_LEASE_SECONDS="5",
            PUBLISH_RETRY_SECONDS="1",
            S3_MAX_ATTEMPTS="1",
            S3_CONNECT_TIMEOUT="1",
        )
        self.app.manage("migrate", "--no-input")
        self.app.python("from tests.faults import seed; seed.superuser()")

    def seed(self, call: str):
        return json.loads(self.app.python(f"from tests.faults import seed; seed.{call}"))

    def remove(self):
        if hasattr(self, "app"):
            self.app.stop_all()
        self.s3.remove()
        self.postgres.remove()
        shutil.rmtree(self.folder, ignore_errors=True)
