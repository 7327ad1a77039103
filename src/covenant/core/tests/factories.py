"""factory-boy factories for core tables, shared by every app's tests."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from covenant.core.models import (
    Membership,
    NodeRole,
    Organisation,
    OrganisationKind,
    OrgRole,
    User,
    VerificationStatus,
    VolunteerProfile,
)
from covenant.places.models import LSOA, LocalAuthority, Postcode, PostcodeDistrict, Region


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "E12000002"
    name = "North West"


class LocalAuthorityFactory(DjangoModelFactory):
    class Meta:
        model = LocalAuthority
        django_get_or_create = ("code",)

    code = "E08000011"
    name = "Knowsley"
    region = factory.SubFactory(RegionFactory)


class LSOAFactory(DjangoModelFactory):
    class Meta:
        model = LSOA
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E0190{n:04d}")
    name = factory.Sequence(lambda n: f"Knowsley {n:03d}A")
    local_authority = factory.SubFactory(LocalAuthorityFactory)
    latitude = 53.42
    longitude = -2.85
    population = 1500
    imd_rank = 1000
    imd_decile = 1


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class VolunteerProfileFactory(DjangoModelFactory):
    class Meta:
        model = VolunteerProfile

    user = factory.SubFactory(UserFactory)
    postcode = "L36 9YU"
    postcode_district = "L36"
    contact_channels = factory.LazyFunction(lambda: ["email"])


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Community Group {n}")
    kind = OrganisationKind.COMMUNITY_GROUP
    verification_status = VerificationStatus.VERIFIED
    is_member = True


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = OrgRole.ADMIN


class NodeRoleFactory(DjangoModelFactory):
    class Meta:
        model = NodeRole

    user = factory.SubFactory(UserFactory)
    role = "cvs_staff"


class PostcodeDistrictFactory(DjangoModelFactory):
    """A postcode district a node knows (from a postcode import), in Knowsley."""

    class Meta:
        model = PostcodeDistrict
        django_get_or_create = ("code",)

    code = "L36"
    latitude = 53.41
    longitude = -2.84
    local_authority = factory.SubFactory(LocalAuthorityFactory)


class PostcodeFactory(DjangoModelFactory):
    """A full postcode from the ONS Postcode Directory, placed in an LSOA."""

    class Meta:
        model = Postcode
        django_get_or_create = ("postcode",)

    postcode = "L36 9YU"
    district = factory.SubFactory(
        PostcodeDistrictFactory,
        code=factory.LazyAttribute(lambda o: o.factory_parent.postcode.split()[0]),
    )
    lsoa = factory.SubFactory(LSOAFactory)
    latitude = 53.4123
    longitude = -2.8401
