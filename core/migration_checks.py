"""Checks that run before the migrations that tighten the seed schema.

A database built from spec/schema.sql may hold rows that our constraints
refuse (a status outside the vocabulary, a score above 1). Rather than a bare
"check constraint violated", `migrate` stops before changing anything and says
which values to fix.
"""

from django.db import migrations


class UnadoptableRows(Exception):
    pass


def require_valid_rows(table: str, column: str, valid_sql: str, rule: str):
    """A migration step that stops when `table` has rows where `valid_sql` is false."""

    def check(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {column}::text, count(*) FROM {table} "
                f"WHERE NOT ({valid_sql}) GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
            )
            bad = cursor.fetchall()
        if bad:
            found = ", ".join(f"{value!r} ({count} rows)" for value, count in bad)
            raise UnadoptableRows(
                f"Cannot adopt {table}: {column} {rule}, but the table holds {found}. "
                f"Fix those rows with SQL, then run migrate again; this step changed nothing."
            )

    return migrations.RunPython(check, migrations.RunPython.noop, elidable=False)


def require_vocabulary(table: str, column: str, choices) -> migrations.RunPython:
    allowed = ", ".join(f"'{value}'" for value in choices.values)
    return require_valid_rows(
        table,
        column,
        f"{column} IS NULL OR {column} IN ({allowed})",
        f"must be one of {', '.join(choices.values)}",
    )


def require_unique_rows(table: str, columns: tuple[str, ...], where: str, rule: str):
    """A migration step that stops when rows matching `where` repeat `columns`
    (before a partial unique index on them is built)."""

    def check(apps, schema_editor):
        keys = ", ".join(columns)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {keys}, count(*) FROM {table} WHERE {where} "
                f"GROUP BY {keys} HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 10"
            )
            repeated = cursor.fetchall()
        if repeated:
            found = "; ".join(
                ", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=False))
                + f" ({row[-1]} rows)"
                for row in repeated
            )
            raise UnadoptableRows(
                f"Cannot adopt {table}: {rule}, but the table holds {found}. "
                f"Fix those rows with SQL, then run migrate again; this step changed nothing."
            )

    return migrations.RunPython(check, migrations.RunPython.noop, elidable=False)
