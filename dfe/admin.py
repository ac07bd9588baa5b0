from django.contrib import admin

from dfe.models import FiledReturn
from futuresocial.admin import ReadOnlyMixin, RegionModelAdmin


@admin.register(FiledReturn)
class FiledReturnAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Returns are filed from the return's page or the API (dfe.services.dfe_return_file) and never change."""

    list_display = ("authority", "quarter", "filed_by", "filed_at")
    list_filter = ("quarter", "authority")
    list_select_related = ("authority", "filed_by")
    date_hierarchy = "filed_at"
