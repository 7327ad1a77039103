"""Admin screens for node administrators. Everything here is read-only: keys, trust and
credentials change only through services (which check permission and write the audit log),
and no sealed column (private keys, issued credentials, evidence notes), status bitstring or
published status-list JWT is ever shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import Credential, CredentialType, HolderKey, IssuerKey, StatusList, TrustedIssuer


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shows rows; adds, changes and deletes go through services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.fields or ()


@admin.register(CredentialType)
class CredentialTypeAdmin(ReadOnlyAdmin):
    list_display = ["name", "category", "vct", "validity_days", "issuer_policy", "built_in"]
    list_filter = ["category", "built_in", "issuer_policy"]
    search_fields = ["name", "vct", "slug"]
    fields = [
        "name",
        "slug",
        "vct",
        "category",
        "description",
        "claims",
        "validity_days",
        "renewal_window_days",
        "issuer_policy",
        "built_in",
        "created_at",
        "updated_at",
    ]


@admin.register(IssuerKey)
class IssuerKeyAdmin(ReadOnlyAdmin):
    list_display = ["kid", "organisation", "alg", "active", "created_at", "retired_at"]
    list_filter = ["alg", "active"]
    search_fields = ["kid", "organisation__name"]
    # The sealed private key is deliberately absent.
    fields = ["organisation", "kid", "alg", "public_jwk", "active", "created_at", "retired_at"]


@admin.register(TrustedIssuer)
class TrustedIssuerAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "issuer", "added_at"]
    search_fields = ["name", "issuer", "organisation__name"]
    fields = [
        "name",
        "organisation",
        "issuer",
        "jwks",
        "credential_types",
        "note",
        "added_at",
        "updated_at",
    ]


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    # Who holds what and its state, never its claims (they are inside the sealed SD-JWT).
    list_display = ["uid", "credential_type", "holder", "organisation", "state", "issued_at"]
    list_filter = ["state", "credential_type"]
    search_fields = ["uid", "holder__email", "organisation__name"]
    fields = [
        "uid",
        "holder",
        "organisation",
        "credential_type",
        "issuer_key",
        "issued_by",
        "issued_at",
        "valid_from",
        "expires_at",
        "state",
        "state_reason",
        "state_changed_at",
        "content_purged_at",
        "revocation_list",
        "revocation_index",
        "suspension_list",
        "suspension_index",
    ]


@admin.register(HolderKey)
class HolderKeyAdmin(ReadOnlyAdmin):
    list_display = ["kid", "holder", "custody", "alg", "active", "created_at"]
    list_filter = ["custody", "active"]
    search_fields = ["kid", "holder__email"]
    fields = ["holder", "custody", "kid", "alg", "public_jwk", "active", "created_at"]


@admin.register(StatusList)
class StatusListAdmin(ReadOnlyAdmin):
    list_display = ["path", "organisation", "purpose", "number", "allocated", "size", "updated_at"]
    list_filter = ["purpose"]
    fields = [
        "organisation",
        "purpose",
        "number",
        "size",
        "allocated",
        "path",
        "version",
        "changed_at",
        "published_at",
        "updated_at",
    ]
