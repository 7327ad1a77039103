"""English places and their deprivation: the geography every other module weighs need by.

Codes are ONS codes (LSOA 2011, ward 2017, local authority district 2019, region); they are
the primary keys because they are what every published dataset joins on.
"""

from __future__ import annotations

from django.db import models


class Region(models.Model):
    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LocalAuthority(models.Model):
    """A local authority district (2019 boundaries, as in the Indices of Deprivation 2019)."""

    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=100)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    """An electoral ward (2017 boundaries): the unit of the left-behind list."""

    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=100)
    local_authority_code = models.CharField(max_length=9, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LSOA(models.Model):
    """A Lower Layer Super Output Area (2011): about 1,500 people, the unit of deprivation data.

    Ranks run from 1 (most deprived of 32,844 in England) and deciles from 1 (most deprived
    10%). The domain *scores* are not in the open files this node ships, so domains carry
    rank and decile; the overall IMD score is kept.
    """

    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=100)
    local_authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, related_name="lsoas"
    )
    ward = models.ForeignKey(Ward, null=True, blank=True, on_delete=models.SET_NULL)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    rural_urban = models.CharField(max_length=60, blank=True)
    imd_score = models.FloatField(null=True, blank=True)
    imd_rank = models.PositiveIntegerField(null=True, blank=True)
    imd_decile = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    income_rank = models.PositiveIntegerField(null=True, blank=True)
    income_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    employment_rank = models.PositiveIntegerField(null=True, blank=True)
    employment_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    education_rank = models.PositiveIntegerField(null=True, blank=True)
    education_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    health_rank = models.PositiveIntegerField(null=True, blank=True)
    health_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    crime_rank = models.PositiveIntegerField(null=True, blank=True)
    crime_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    housing_rank = models.PositiveIntegerField(null=True, blank=True)
    housing_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    environment_rank = models.PositiveIntegerField(null=True, blank=True)
    environment_decile = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "LSOA"
        verbose_name_plural = "LSOAs"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PostcodeDistrict(models.Model):
    """The outward half of a postcode ('L36'). Known districts come from a postcode import;
    their centre is the mean of their postcodes, so a volunteer who gives only a district can
    still be placed roughly."""

    code = models.CharField(max_length=4, primary_key=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    local_authority = models.ForeignKey(
        LocalAuthority, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Postcode(models.Model):
    """A full postcode from the ONS Postcode Directory, when a node imports it."""

    postcode = models.CharField(max_length=8, primary_key=True)
    district = models.ForeignKey(PostcodeDistrict, on_delete=models.CASCADE)
    lsoa = models.ForeignKey(LSOA, null=True, blank=True, on_delete=models.SET_NULL)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    terminated = models.BooleanField(default=False)

    class Meta:
        ordering = ["postcode"]

    def __str__(self) -> str:
        return self.postcode
