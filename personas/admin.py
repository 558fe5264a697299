from django import forms
from django.contrib import admin

from core.admin_core import ContentAdmin
from core.json_fields import PrettyJSONField, json_object
from personas.models import Persona


class PersonaForm(forms.ModelForm):
    tone_profile = PrettyJSONField(required=False, shape=json_object)

    class Meta:
        model = Persona
        fields = ["name", "tone_profile"]


@admin.register(Persona)
class PersonaAdmin(ContentAdmin):
    form = PersonaForm
    list_display = ("name", "created_at")
    text_search_fields = ("name__icontains",)
    ordering = ("name",)
