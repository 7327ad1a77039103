"""The reserve pages."""

from django.urls import URLPattern, URLResolver

app_name = "reserve"
urlpatterns: list[URLPattern | URLResolver] = []
