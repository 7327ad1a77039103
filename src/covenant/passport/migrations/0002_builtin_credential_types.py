"""Seed the built-in credential types (identity, DBS, reference, training, driving licence,
volunteering record) from `covenant.passport.registry`."""

from django.db import migrations


def seed(apps, schema_editor):
    from covenant.passport.services import credential_types_builtin_sync

    credential_types_builtin_sync(model=apps.get_model("passport", "CredentialType"))


def unseed(apps, schema_editor):
    from covenant.passport.registry import BUILT_IN_TYPES

    CredentialType = apps.get_model("passport", "CredentialType")
    CredentialType.objects.filter(vct__in=[spec.vct for spec in BUILT_IN_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("passport", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
