"""The project's URLs plus the stock admin `make bench` measures ours against.

Settings make this the URLconf only with BENCH_STOCK_ADMIN, so the project
names bench by a string and nothing imports it."""

from django.urls import path

from bench import cold, stock_admin
from contentops.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("stock-admin/", stock_admin.site.urls),
    *cold.urlpatterns,
]
