from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Staff accounts: the second factor, lockout after failed sign-ins, session limits."""

    name = "accounts"
