"""Django admin for node administrators only (not for every `is_staff` account)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class NodeAdminSite(admin.AdminSite):
    site_header = "Social Covenant node administration"
    site_title = "Node administration"
    index_title = "Node administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        from . import authz

        return authz.actor_for_user(user).has_node_role("node_admin") and user.is_staff


class NodeAdminConfig(AdminConfig):
    default_site = "covenant.core.admin_site.NodeAdminSite"
