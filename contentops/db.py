"""Database-side defaults exactly as the seed schema writes them.

Django's own `Now()` renders `STATEMENT_TIMESTAMP()` and `RandomUUID()` renders
`gen_random_uuid()`; the contract with the pipeline is the seed's DDL, so the
models name the seed's functions.
"""

from django.db import models


class SeedNow(models.Func):
    template = "now()"
    output_field = models.DateTimeField()


class SeedUUID(models.Func):
    template = "uuid_generate_v4()"
    output_field = models.UUIDField()
