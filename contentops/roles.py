"""The groups people work in, and what each may do.

ROLES is what the groups hold now. The first data migration creates the groups
with `sync_roles`; each later one adds what its feature needs with `grant_roles`,
or takes away what no longer means anything with `revoke_roles`.
Both take a frozen copy, so old migrations keep meaning what they meant; a test
checks that the migrated groups hold exactly ROLES.
"""

from django.db import migrations

LEADS = "Leads"
MODERATORS = "Moderators"
EDITORS = "Editors"
STAFF_VIEWERS = "Staff viewers"

CONTENT_MODELS = [
    ("personas", "persona"),
    ("videos", "video"),
    ("videos", "task"),
    ("videos", "artifact"),
    ("safety", "safetyreport"),
    ("publishing", "publishreceipt"),
]

_VIEW_ALL = [f"{app}.view_{model}" for app, model in CONTENT_MODELS]

ROLES: dict[str, list[str]] = {
    MODERATORS: _VIEW_ALL
    + [
        "safety.review_safetyreport",
        "safety.takeover_safetyreport",
    ],
    # Above moderators: everything they may do; the lead's own pages add to it.
    LEADS: _VIEW_ALL
    + [
        "safety.review_safetyreport",
        "safety.takeover_safetyreport",
        "monitoring.view_incident",
        "safety.resolve_qasample",
        "insights.view_dashboard",
        # The decision log, its export and the score calibration.
        "safety.view_decisionlog",
        "safety.export_decisionlog",
        "safety.view_calibration",
        "safety.view_qalog",
    ],
    EDITORS: _VIEW_ALL
    + [
        "videos.change_video",
        "videos.change_artifact",
        "videos.add_task",
        "publishing.approve_publish",
        "publishing.retry_publish",
        "publishing.cancel_publish",
        "publishing.retract_publish",
    ],
    STAFF_VIEWERS: _VIEW_ALL,
}


def sync_roles(roles: dict[str, list[str]]) -> migrations.RunPython:
    """A migration step: create the groups, each with exactly `roles[group]`."""

    def forwards(apps, schema_editor):
        _sync(apps, roles, replace=True)

    return migrations.RunPython(forwards, migrations.RunPython.noop)


def grant_roles(additions: dict[str, list[str]]) -> migrations.RunPython:
    """A migration step: add `additions[group]` to each group (created if missing)."""

    def forwards(apps, schema_editor):
        _sync(apps, additions, replace=False)

    return migrations.RunPython(forwards, migrations.RunPython.noop)


def revoke_roles(removals: dict[str, list[str]]) -> migrations.RunPython:
    """A migration step: take `removals[group]` from each group (back on reverse)."""

    def forwards(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for group in Group.objects.filter(name__in=removals):
            for code in removals[group.name]:
                app_label, codename = code.split(".")
                group.permissions.remove(
                    *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                )

    def backwards(apps, schema_editor):
        _sync(apps, removals, replace=False)

    return migrations.RunPython(forwards, backwards)


def _sync(apps, roles, replace=True):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; a data migration needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codes in roles.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        if replace:
            group.permissions.set(permissions)
        else:
            group.permissions.add(*permissions)
