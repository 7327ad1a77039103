"""Pages for an organisation's API tokens, under /organisations/<id>/api-tokens/."""

from django.urls import path

from . import views

app_name = "api"
urlpatterns = [
    path(
        "organisations/<int:organisation_id>/api-tokens/",
        views.api_tokens,
        name="tokens",
    ),
    path(
        "organisations/<int:organisation_id>/api-tokens/<int:token_id>/revoke/",
        views.api_token_revoke,
        name="token_revoke",
    ),
]
