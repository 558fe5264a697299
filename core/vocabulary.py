"""Vocabularies enforced by the database, so no writer can store an unknown value."""

from django.db import models


def check_in(column: str, choices: type[models.TextChoices], *, name: str):
    """A CHECK constraint: `column` is NULL or one of `choices` (NULL stays
    allowed because the seed schema lets the pipeline leave it out)."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{column}__in": choices.values})
        | models.Q(**{f"{column}__isnull": True}),
        name=name,
        violation_error_message=(f"%(name)s: {column} must be one of {', '.join(choices.values)}."),
    )
