import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

# Lockout and sessions keep their models in modules of their own.
from accounts.lockout_models import Unlock, UnlockRule  # noqa: F401
from accounts.sessions_models import SessionsEnded  # noqa: F401
from core.vocabulary import check_in


class TwoFactorKind(models.TextChoices):
    ENROLLED = "enrolled", "Two-factor sign-in set up"
    BACKUP_CODES = "backup_codes", "Backup codes regenerated"
    RESET = "reset", "Two-factor devices reset"


class TwoFactorEvent(models.Model):
    """One change to a user's second factor and who made it: append-only.

    Our own log rather than pghistory on django-otp's device tables: those
    rows hold the TOTP secret and the backup codes, which history must not
    copy and keep after a reset; and "reset by root" reads better than a
    delete of a device row.
    """

    Kind = TwoFactorKind

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    kind = models.TextField(choices=TwoFactorKind)
    created_at = models.DateTimeField(default=timezone.now, db_default=models.functions.Now())

    class Meta:
        db_table = "accounts_two_factor_events"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="two_factor_events_user_idx")]
        constraints = [check_in("kind", TwoFactorKind, name="two_factor_events_kind_valid")]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user_id} by {self.actor_id}"

