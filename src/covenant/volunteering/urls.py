"""The volunteering pages."""

from django.urls import URLPattern, URLResolver

app_name = "volunteering"
urlpatterns: list[URLPattern | URLResolver] = []
