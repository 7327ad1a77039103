from django.urls import path

from .views import holding, issuing, published, sharing

app_name = "passport"
urlpatterns = [
    path(".well-known/jwks.json", published.jwks, name="jwks"),
    path(".well-known/did.json", published.did_document, name="did"),
    path(
        ".well-known/jwt-vc-issuer/issuers/<int:organisation_id>",
        published.issuer_metadata,
        name="issuer_metadata",
    ),
    # Every list is served at the path stored with it (StatusList.path).
    path("status-lists/<path:rest>", published.status_list, name="status_list"),
    path("passport/", holding.passport, name="mine"),
    path("passport/credentials/<uuid:uid>/", holding.credential_detail, name="credential"),
    path(
        "passport/credentials/<uuid:uid>/download",
        holding.credential_download,
        name="credential_download",
    ),
    path(
        "passport/credentials/<uuid:uid>/revoke",
        issuing.credential_state_change,
        {"action": "revoke"},
        name="credential_revoke",
    ),
    path(
        "passport/credentials/<uuid:uid>/suspend",
        issuing.credential_state_change,
        {"action": "suspend"},
        name="credential_suspend",
    ),
    path(
        "passport/credentials/<uuid:uid>/reinstate",
        issuing.credential_state_change,
        {"action": "reinstate"},
        name="credential_reinstate",
    ),
    path("passport/issue/", issuing.issue_start, name="issue_start"),
    path("passport/issue/details/", issuing.issue_details, name="issue_details"),
    path("passport/issued/", issuing.issued, name="issued"),
    path("passport/requests/", sharing.share_requests, name="share_requests"),
    path("passport/requests/new/", sharing.share_request_new, name="share_request_new"),
    path("passport/requests/<uuid:uid>/", sharing.share_request_detail, name="share_request"),
    path(
        "passport/requests/<uuid:uid>/verify",
        sharing.share_request_verify,
        name="share_request_verify",
    ),
    path("passport/share/<uuid:uid>/", sharing.share_respond, name="share_respond"),
    path("passport/shared/", sharing.shared, name="shared"),
    path("passport/shared/<uuid:uid>/withdraw", sharing.share_withdraw, name="share_withdraw"),
]
