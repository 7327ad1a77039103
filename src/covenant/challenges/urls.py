"""The community power challenges pages."""

from django.urls import URLPattern, URLResolver

app_name = "challenges"
urlpatterns: list[URLPattern | URLResolver] = []
