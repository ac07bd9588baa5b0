from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

import pgtrigger


@pgtrigger.register(
    # Filed is filed (SPEC §5): the return as the council sent it stays as it was, whoever asks the database.
    pgtrigger.Protect(name="filed_returns_are_never_deleted", operation=pgtrigger.Delete),
    pgtrigger.Protect(name="filed_returns_are_never_changed", operation=pgtrigger.Update),
)
class FiledReturn(models.Model):
    """A council's DfE quarterly return as filed: the JSON the API gave for it at that moment, frozen. Data changed
    since is shown as a difference against it (`dfe.selectors.differences`), never written into it."""

    authority = models.ForeignKey("region.Authority", on_delete=models.PROTECT, related_name="filed_returns")
    quarter = models.CharField(max_length=7, help_text="YYYY-QN, e.g. 2025-Q1 = January to March 2025")
    filed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    filed = models.JSONField(
        encoder=DjangoJSONEncoder, help_text="The return as filed: what GET /api/v1/dfe-returns/ answered then"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-quarter", "authority__name"]
        constraints = [
            # One filing per council and quarter: a second is refused (dfe.services.dfe_return_file), and two at
            # once cannot both be stored.
            models.UniqueConstraint(fields=["authority", "quarter"], name="one_filing_per_authority_quarter"),
            models.CheckConstraint(condition=Q(quarter__regex=r"^\d{4}-Q[1-4]$"), name="filed_quarter_is_yyyy_qn"),
        ]

    scope = {"authority": "authority"}

    def __str__(self):
        return f"{self.authority} DfE return for {self.quarter}, filed"
