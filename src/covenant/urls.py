"""The node's URLs: pages, sign-in (allauth), the JSON API and the admin for node admins."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("covenant.core.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("covenant.api.page_urls")),
    path("", include("covenant.passport.urls")),
    path("volunteering/", include("covenant.volunteering.urls")),
    path("reserve/", include("covenant.reserve.urls")),
    path("supplies/", include("covenant.supplies.urls")),
    path("funds/", include("covenant.funds.urls")),
    path("commissioning/", include("covenant.commissioning.urls")),
    path("challenges/", include("covenant.challenges.urls")),
    path("transport/", include("covenant.transport.urls")),
    path("api/", include("covenant.api.urls")),
    path("admin/", admin.site.urls),
]
