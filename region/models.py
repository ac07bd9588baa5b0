from django.db import models

from futuresocial.scoping import ALL


class Authority(models.Model):
    """One of the 14 councils and children's trusts of the West Midlands that signed the Agency Protocol."""

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
