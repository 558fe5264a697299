"""Django's ModelBackend, reading a signed-in user and their permissions in
one query.

Every admin request loads the session's user and asks its permissions:
ModelBackend reads the user, then the user's own permissions, then their
groups' (three queries, about 4 ms of CPU building them). Here one plain
statement reads the user row with both lists of permission names, and fills
the caches ModelBackend's permission methods read, so they ask nothing more.
What a user may do is unchanged: the same rows answer, read at the same moment.
The statement is prepared once per connection (core.prepared): planning its
joins was most of its cost to the server.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, router

from core import prepared


@cache
def _user_with_permissions_sql() -> str:
    user = get_user_model()
    quote = connection.ops.quote_name
    users, pk = quote(user._meta.db_table), quote(user._meta.pk.column)
    # Named, not u.*: a prepared statement's columns must not change under it.
    columns = ", ".join(f"u.{quote(f.column)}" for f in user._meta.concrete_fields)
    permissions = quote(Permission._meta.db_table)
    types = quote(ContentType._meta.db_table)
    own = quote(user.user_permissions.through._meta.db_table)
    member = quote(user.groups.through._meta.db_table)
    granted = quote(Group.permissions.through._meta.db_table)
    name = f"t.app_label || '.' || p.codename FROM {permissions} p JOIN {types} t ON t.id = p.content_type_id"  # noqa: E501
    return f"""
        SELECT {columns},
            ARRAY(SELECT {name} JOIN {own} o ON o.permission_id = p.id
                  WHERE o.user_id = u.{pk}) AS own_permissions,
            ARRAY(SELECT {name} JOIN {granted} g ON g.permission_id = p.id
                  JOIN {member} m ON m.group_id = g.group_id
                  WHERE m.user_id = u.{pk}) AS group_permissions
        FROM {users} u WHERE u.{pk} = %s
    """


class PermissionsBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            # The server binds the value, so it must have the key's type.
            user_id = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        using = router.db_for_read(model)
        row = prepared.fetch_one(using, _user_with_permissions_sql(), [user_id])
        if row is None:
            return None
        fields = model._meta.concrete_fields
        user = model.from_db(using, [f.attname for f in fields], row[: len(fields)])
        if not self.user_can_authenticate(user):
            return None
        own_permissions, group_permissions = row[len(fields) :]
        # A superuser's permissions are every permission (ModelBackend reads
        # them all when asked), not those granted: leave theirs to it.
        if not user.is_superuser:
            user._user_perm_cache = set(own_permissions)
            user._group_perm_cache = set(group_permissions)
            user._perm_cache = user._user_perm_cache | user._group_perm_cache
        return user
