"""The filters of the artifact gallery (django-filter)."""

import django_filters
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect

from core.inputs import query_uuid
from personas.models import Persona
from videos.models import Artifact, ArtifactKind, Video, VideoStatus


class KeyAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that looks up only values that are keys: a malformed one
    (?persona=zzz) is the form's error to show, never a failed query."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if query_uuid(v)], attr)


class ArtifactFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ArtifactKind.choices, empty_label="All kinds")
    # An autocomplete: the persona table is never loaded whole, only the chosen one.
    persona = django_filters.ModelChoiceFilter(
        field_name="video__persona",
        queryset=Persona.objects.all(),
        widget=KeyAutocompleteSelect(Video._meta.get_field("persona"), admin.site),
    )
    status = django_filters.ChoiceFilter(
        field_name="video__status",
        choices=VideoStatus.choices,
        label="Video status",
        empty_label="All statuses",
    )
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at",
        label="Created (from, to)",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    title = django_filters.CharFilter(
        field_name="video__title", lookup_expr="icontains", label="Video title contains"
    )

    class Meta:
        model = Artifact
        fields = ["kind", "persona", "status", "created", "title"]
