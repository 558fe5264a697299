from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Staff accounts: the second factor, lockout after failed sign-ins, session limits."""

    name = "accounts"

    def ready(self):
        # Stamps each new session with its sign-in time (user_logged_in).
        from accounts import sessions  # noqa: F401
