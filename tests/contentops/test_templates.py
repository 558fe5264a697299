"""Where each template is found: site-wide admin overrides in templates/, every
app's pages in its own <app>/templates/admin/<app>/, and no name in two places."""

from pathlib import Path

import pytest
from django.template.loader import get_template

ROOT = Path(__file__).resolve().parents[2]
SITE_WIDE = [
    "admin/actions.html",
    "admin/base_site.html",
    "admin/index.html",
    "admin/pagination.html",
    "admin/search_form.html",
    "503.html",
]
APPS = ["core", "accounts", "videos", "safety", "publishing", "insights"]


def names_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*.html")}


def app_templates() -> list[tuple[str, str]]:
    return [(app, name) for app in APPS for name in sorted(names_under(ROOT / app / "templates"))]


@pytest.mark.parametrize("name", SITE_WIDE)
def test_site_wide_overrides_come_from_the_top_level_folder(name):
    assert Path(get_template(name).origin.name) == ROOT / "templates" / name


@pytest.mark.parametrize(("app", "name"), app_templates())
def test_each_app_page_comes_from_its_own_app_folder(app, name):
    assert name.startswith(f"admin/{app}/")
    assert Path(get_template(name).origin.name) == ROOT / app / "templates" / name


def test_the_top_level_folder_holds_only_the_site_wide_overrides():
    assert names_under(ROOT / "templates") == set(SITE_WIDE)
