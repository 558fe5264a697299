"""The record of "sign out everywhere": whose sessions were ended, by whom, when."""

from django.conf import settings
from django.db import models


class SessionsEnded(models.Model):
    """Append-only: one row per "sign out everywhere", written by
    `accounts.sessions.end_all_sessions`."""

    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions_ended"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions_ended_by"
    )
    sessions = models.PositiveIntegerField(help_text="Sessions that were signed out.")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="accounts_sessionsended_user")]
        default_permissions = ()
        # Held by no role: superusers, or whoever an administrator grants it to.
        permissions = [("end_sessions", "Can sign any user out everywhere")]

    def __str__(self):
        return f"{self.user} signed out everywhere by {self.by} at {self.at:%Y-%m-%d %H:%M}"
