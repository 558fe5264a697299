from django.conf import settings
from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]

if settings.BENCH_STOCK_ADMIN:
    # Only `make bench` turns this on: the project is the one package that may
    # import anything, and it imports bench only behind the flag, so no app,
    # core or production deploy loads it.
    from bench import stock_admin

    urlpatterns.append(path("stock-admin/", stock_admin.site.urls))
