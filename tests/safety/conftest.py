"""Settings and people the review queue's tests share."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from contentops.roles import MODERATORS
from safety.models import SafetyReport
from tests.factories import UserFactory


@pytest.fixture
def sla(settings):
    # The thresholds come from the environment; the tests' ages are chosen around these.
    settings.SAFETY_SLA_WARNING_MINUTES = 60
    settings.SAFETY_SLA_BREACH_MINUTES = 240


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", groups=[MODERATORS])


@pytest.fixture
def warm_content_types(db):
    """Content types read once, as a running process has them, so pinned counts hold."""
    ContentType.objects.get_for_models(SafetyReport, Permission)
