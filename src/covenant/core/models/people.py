"""People: an account signs in; a volunteer profile holds what volunteering needs."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """An account. People sign in with their e-mail address; there is no username."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    preferred_name = models.CharField(
        max_length=80, blank=True, help_text="What people should call you, if not your full name."
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.full_name or self.email


class ContactChannel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    POST = "post", "Post"


class VolunteerProfile(models.Model):
    """What a volunteer tells the node. The postcode places them (LSOA when the node has
    imported postcodes, the postcode district otherwise); nothing more precise is stored."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="volunteer")
    postcode = models.CharField(max_length=8, blank=True)
    postcode_district = models.CharField(max_length=4, blank=True, db_index=True)
    lsoa = models.ForeignKey(
        "places.LSOA", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(max_length=20, blank=True)
    contact_channels = models.JSONField(
        default=list, help_text="How the volunteer is happy to be contacted, in order."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Volunteer profile of {self.user}"


class NodeRoleName(models.TextChoices):
    CVS_STAFF = "cvs_staff", "CVS staff"
    NODE_ADMIN = "node_admin", "Node administrator"


class NodeRole(models.Model):
    """A role over the whole node, held by staff of the body that runs it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="node_roles")
    role = models.CharField(max_length=20, choices=NodeRoleName.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="node_role_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"
