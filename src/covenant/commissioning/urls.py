"""The commissioning pages."""

from django.urls import URLPattern, URLResolver

app_name = "commissioning"
urlpatterns: list[URLPattern | URLResolver] = []
