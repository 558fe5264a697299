"""The record of unlocks: who cleared which failed sign-ins, and when."""

from django.conf import settings
from django.db import models


class UnlockRule(models.TextChoices):
    # The counts of accounts.lockout.RULES, each of which an unlock clears.
    NAME_AT_ADDRESS = "name_at_address", "user name at address"
    ADDRESS = "address", "address"
    NAME = "name", "user name everywhere"


class Unlock(models.Model):
    """Append-only: one row per unlock, written by `accounts.lockout.unlock`."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="unlocks_made"
    )
    rule = models.CharField(max_length=20, choices=UnlockRule.choices)
    username = models.CharField(max_length=255, null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    failures = models.PositiveIntegerField(help_text="Failed sign-ins the unlock cleared.")

    class Meta:
        ordering = ["-at"]
        default_permissions = ()
        # Held by no role: superusers, or whoever an administrator grants it to.
        permissions = [("unlock_signin", "Can see failed sign-ins and unlock them")]

    def __str__(self):
        return f"Unlock of {self.get_rule_display()} by {self.by} at {self.at:%Y-%m-%d %H:%M}"
