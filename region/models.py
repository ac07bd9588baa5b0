from django.db import models

from futuresocial.scoping import ALL


class Authority(models.Model):
    """One of the councils and children's trusts of the region that signed the Agency Protocol (the West Midlands' 14 by
    default, seeded by migration; another region's from the official statistics, by `setup_region`)."""

    class Kind(models.TextChoices):
        COUNCIL = "council", "Council"
        TRUST = "trust", "Children's trust"

    code = models.CharField(max_length=9, unique=True, help_text="ONS code, e.g. E08000025")
    la_code = models.CharField("DfE LA code", max_length=3, unique=True, help_text="DfE code, e.g. 330")
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COUNCIL)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "authorities"
        db_table = "workforce_authority"  # its table since the first release (it moved here from workforce)

    scope = {"agency": ALL, "authority": ALL}  # reference data

    def __str__(self):
        return self.name


class Region(models.Model):
    """The region the deployment serves, written once by `setup_region`. With no row it is the West Midlands, whose
    authorities the first migrations seed (so a plain `migrate` gives the product as it always was)."""

    # One row at most: the check constraint below holds it to the id 1.
    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    code = models.CharField(
        max_length=9, unique=True, help_text="ONS code, e.g. E12000005: its published rows are the region's figures"
    )
    name = models.CharField(max_length=60, unique=True, help_text="As the official statistics name it")
    set_up_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="one_region_per_deployment")]

    scope = {"agency": ALL, "authority": ALL}  # reference data: the name in every page's title

    def __str__(self):
        return self.name

    @property
    def in_prose(self):
        """The name as a sentence uses it: "the West Midlands", "the East of England", but "London"."""
        compass = ("North ", "South ", "East ", "West ")
        return f"the {self.name}" if self.name.startswith(compass) else self.name
