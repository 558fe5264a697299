"""The pipeline's own tables: the six of spec/schema.sql, which its services
write with plain SQL and whose every change our history records."""

from personas.models import Persona
from publishing.models import PublishReceipt
from safety.models import SafetyReport
from videos.models import Artifact, Task, Video

PIPELINE_MODELS = (Persona, Video, Task, Artifact, SafetyReport, PublishReceipt)


def pipeline_tables() -> list[str]:
    return [model._meta.db_table for model in PIPELINE_MODELS]
