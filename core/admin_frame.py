"""The admin's frame, the sidebar's app list above all, worked out once per
process and permission set instead of on every request.

Every admin page asks `AdminSite.get_app_list`: for each registered model,
its admin's module, add, change and view permissions, a reversed URL or two,
then a sort. The answers are the same for every request made with the same
permissions, so they are kept per `permission_key`; rendering the sidebar
from them (a table per app) is kept beside them, per set of links the page's
path marks as current. A user who gains or loses a permission has a new key on
their next request, so nothing is invalidated by hand. This holds as long as
every ModelAdmin's `has_*_permission(request)` (without an object) and
`has_module_permission` answer from the user's flags and permissions alone, as
ours do (tests/core/test_admin_frame.py compares the kept list with Django's
for every role).
"""

from django.contrib import admin
from django.core.signals import setting_changed
from django.template.defaultfilters import urlencode
from django.urls import get_script_prefix
from django.utils.translation import get_language

# Permission sets are a handful of roles; past this many, start again.
MAX_KEPT = 256


def permission_key(user) -> tuple:
    """What decides which apps and models a user's admin shows them."""
    flags = (user.is_active, user.is_staff, user.is_superuser)
    if user.is_superuser or not user.is_active:
        # An active superuser has every permission, an inactive user none:
        # asking a superuser's would read every permission from the database.
        return flags
    return (*flags, frozenset(user.get_all_permissions()))


class KeptAppList(list):
    """An app list shared by every request with the same key; read only.
    `rendered` holds the sidebar and index rendered from it, per current links."""

    def __init__(self, apps):
        super().__init__(apps)
        self.rendered: dict[tuple, str] = {}


class KeptFrameSite(admin.AdminSite):
    """An AdminSite whose app list is computed once per permission set."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_app_lists: dict[tuple, KeptAppList] = {}
        # A test's settings (a URLconf, a flag an admin reads) may change the list.
        setting_changed.connect(self.forget_app_lists, weak=False)

    def forget_app_lists(self, **kwargs) -> None:
        self._kept_app_lists = {}

    def register(self, *args, **kwargs):
        super().register(*args, **kwargs)
        self.forget_app_lists()

    def unregister(self, *args, **kwargs):
        super().unregister(*args, **kwargs)
        self.forget_app_lists()

    def get_app_list(self, request, app_label=None):
        # Reversed URLs depend on the script prefix, names on the language.
        key = (permission_key(request.user), app_label, get_script_prefix(), get_language())
        kept = self._kept_app_lists.get(key)
        if kept is None:
            if len(self._kept_app_lists) >= MAX_KEPT:
                self._kept_app_lists.clear()
            kept = self._kept_app_lists[key] = KeptAppList(super().get_app_list(request, app_label))
        return kept


def current_links(app_list, path: str) -> tuple[str, ...]:
    """The app and model URLs that app_list.html marks as current on `path`
    (its `url in request.path|urlencode` tests)."""
    encoded = urlencode(path)
    urls = []
    for app in app_list:
        urls.append(app["app_url"])
        urls.extend(model.get("admin_url") for model in app["models"])
    return tuple(url for url in urls if url and url in encoded)
