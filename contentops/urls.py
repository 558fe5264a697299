from django.conf import settings
from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]

if settings.BENCH_STOCK_ADMIN:
    from contentops import stock_admin

    urlpatterns.append(path("stock-admin/", stock_admin.site.urls))
