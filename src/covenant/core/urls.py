from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("profile/", views.profile_edit, name="profile"),
    path("profile/my-data.json", views.my_data, name="my_data"),
    path("organisations/", views.organisation_directory, name="organisation_directory"),
    path("organisations/register/", views.organisation_register, name="organisation_register"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<int:pk>/members/",
        views.organisation_members,
        name="organisation_members",
    ),
    path(
        "organisations/<int:pk>/members/<int:membership_pk>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path("cvs/verification/", views.verification_queue, name="verification_queue"),
    path("cvs/verification/<int:pk>/", views.verification_review, name="verification_review"),
    path(
        "accessibility/",
        views.static_page,
        {"template": "core/accessibility.html"},
        name="accessibility",
    ),
    path("privacy/", views.static_page, {"template": "core/privacy.html"}, name="privacy"),
    path("accounts/second-factor-required/", views.mfa_required, name="mfa_required"),
]
