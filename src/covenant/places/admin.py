"""Places in the node admin: read-only, because the ONS and MHCLG files are the source of truth
and an edit here would be undone (or, worse, kept) by the next `places_import`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import LSOA, LocalAuthority, Postcode, PostcodeDistrict, Region, Ward


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["code", "name"]


@admin.register(Ward)
class WardAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "local_authority_code"]
    search_fields = ["code", "name", "local_authority_code"]


@admin.register(LSOA)
class LSOAAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "name",
        "local_authority",
        "imd_decile",
        "imd_rank",
        "population",
        "rural_urban",
    ]
    list_filter = ["imd_decile", "rural_urban", "local_authority__region"]
    list_select_related = ["local_authority"]
    search_fields = ["code", "name", "local_authority__name", "ward__name"]
    show_full_result_count = False


@admin.register(PostcodeDistrict)
class PostcodeDistrictAdmin(ReadOnlyAdmin):
    list_display = ["code", "local_authority", "latitude", "longitude"]
    list_select_related = ["local_authority"]
    search_fields = ["code"]


@admin.register(Postcode)
class PostcodeAdmin(ReadOnlyAdmin):
    list_display = ["postcode", "lsoa", "terminated"]
    list_filter = ["terminated"]
    list_select_related = ["lsoa"]
    search_fields = ["postcode"]
    show_full_result_count = False
