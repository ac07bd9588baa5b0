from django.contrib import admin

from futuresocial.admin import ReadOnlyMixin, RegionModelAdmin
from workforce.models import OfficialFigure, WorkforceReturn


@admin.register(WorkforceReturn)
class WorkforceReturnAdmin(RegionModelAdmin):
    list_display = (
        "authority",
        "period_end",
        "permanent_fte",
        "agency_fte",
        "vacancies_fte",
        "leavers_fte",
        "agency_rate",
        "turnover_rate",
        "vacancy_rate",
        "submitted_by",
        "submitted_at",
    )
    list_filter = ("authority", "period_end")
    list_select_related = ("authority", "submitted_by")
    date_hierarchy = "period_end"
    search_fields = ("authority__name", "authority__code")
    autocomplete_fields = ("authority",)
    readonly_fields = ("agency_rate", "turnover_rate", "vacancy_rate", "submitted_by", "submitted_at")

    @admin.display(description="agency rate %")
    def agency_rate(self, obj):
        return obj.agency_rate

    @admin.display(description="turnover %")
    def turnover_rate(self, obj):
        return obj.turnover_rate

    @admin.display(description="vacancy rate %")
    def vacancy_rate(self, obj):
        return obj.vacancy_rate

    def save_model(self, request, obj, form, change):
        obj.submitted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(OfficialFigure)
class OfficialFigureAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Written only by `import_workforce_stats`; suppressed values are NULL with their code in `suppressed`."""

    list_display = (
        "area_name",
        "level",
        "year",
        "period_end",
        "release",
        "employed_fte",
        "agency_fte",
        "published_agency_rate",
        "agency_rate",
        "published_turnover_rate",
        "published_vacancy_rate",
    )
    list_filter = ("level", "year", "release", "authority")
    list_select_related = ("authority",)
    date_hierarchy = "period_end"
    search_fields = ("area_name", "area_code", "release")

    @admin.display(description="agency rate % (derived)")
    def agency_rate(self, obj):
        return obj.agency_rate
