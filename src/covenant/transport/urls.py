"""The community transport pages."""

from django.urls import URLPattern, URLResolver

app_name = "transport"
urlpatterns: list[URLPattern | URLResolver] = []
