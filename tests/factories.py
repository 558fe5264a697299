"""The one place tests make rows. Factories go through the models, so
versioned saves, constraints and history triggers all run as in production."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from personas.models import Persona
from publishing.models import PublishReceipt, PublishStatus
from safety.models import SafetyReport, Severity
from videos.models import Artifact, ArtifactKind, Task, TaskStatus, TaskType, Video, VideoStatus

PASSWORD = "correct-horse-battery-staple"


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Persona

    name = factory.Sequence(lambda n: f"Persona {n}")
    tone_profile = factory.LazyFunction(lambda: {"voice": "warm", "pace": "brisk"})


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    persona = factory.SubFactory(PersonaFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    status = VideoStatus.DRAFT


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    video = factory.SubFactory(VideoFactory)
    type = TaskType.SCRIPT
    status = TaskStatus.QUEUED
    payload = factory.LazyFunction(dict)


class ArtifactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artifact

    video = factory.SubFactory(VideoFactory)
    kind = ArtifactKind.SCRIPT
    s3_path = factory.Sequence(lambda n: f"s3://contentops/videos/{n}/script.txt")


class SafetyReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SafetyReport

    task = factory.SubFactory(TaskFactory, type=TaskType.SAFETY_CHECK)
    score = 0.2
    issues = factory.LazyFunction(
        lambda: [{"category": "violence", "severity": "low", "message": "cartoon fight"}]
    )
    requires_human_review = False


class PendingReportFactory(SafetyReportFactory):
    """A report the pipeline handed to a human: in the review queue until decided.

    `severity` and `category` shape its one issue; pass `issues` for more.
    """

    class Params:
        severity = Severity.MEDIUM
        category = "violence"

    task__video__status = VideoStatus.IN_REVIEW
    score = 0.5
    requires_human_review = True
    issues = factory.LazyAttribute(
        lambda report: [
            {
                "category": report.category,
                "severity": report.severity,
                "message": f"{report.category} ({report.severity})",
            }
        ]
    )


class PublishReceiptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PublishReceipt

    video = factory.SubFactory(VideoFactory)
    channel = "youtube"
    status = PublishStatus.PENDING


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        if create and names:
            self.groups.set(Group.objects.filter(name__in=names))
        if create:
            self.save()


def clear_for_publishing(video, *, at=None):
    """A pipeline safety report written after the video's files (now, or `at`):
    it clears them as they are (safety.clearance). Make the files first."""
    report = SafetyReportFactory(task__video=video, requires_human_review=False, score=0.1)
    if at is not None:
        SafetyReport.objects.filter(pk=report.pk).update(created_at=at)
    return video
