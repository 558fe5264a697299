import uuid

from django.db import models
from django.utils import timezone

from core.db import SeedNow, SeedUUID
from core.history import tracked


@tracked()
class Persona(models.Model):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=SeedUUID(), db_column="persona_id"
    )
    name = models.TextField()
    tone_profile = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(
        default=timezone.now, db_default=SeedNow(), null=True, editable=False
    )

    class Meta:
        db_table = "personas"
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="personas_name_idx")]

    def __str__(self):
        return self.name
