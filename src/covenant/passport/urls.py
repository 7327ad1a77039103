from django.urls import path

from . import views

app_name = "passport"
urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path(".well-known/did.json", views.did_document, name="did"),
    path(
        ".well-known/jwt-vc-issuer/issuers/<int:organisation_id>",
        views.issuer_metadata,
        name="issuer_metadata",
    ),
]
