from django.contrib import admin
from django.urls import path

from monitoring.views import health_view, metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    # Outside the admin, no login: load balancers and Prometheus.
    path("health/", health_view, name="health"),
    path("metrics", metrics_view, name="metrics"),
]
