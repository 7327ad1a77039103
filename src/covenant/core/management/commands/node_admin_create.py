"""`manage.py node_admin_create EMAIL`: make the first node administrator of a new node."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from covenant.core.models import User
from covenant.core.services import node_admin_bootstrap


class Command(BaseCommand):
    help = "Create (or promote) a node administrator. Asks for a password for a new account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        user = User.objects.filter(email=email).first()
        if user is None:
            password = getpass.getpass("Password for the new account: ")
            try:
                validate_password(password)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            user = User.objects.create_user(email=email, password=password)
        node_admin_bootstrap(user=user)
        self.stdout.write(f"{email} is a node administrator.")
