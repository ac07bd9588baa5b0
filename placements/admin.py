from django.contrib import admin
from django.db.models import Count

from futuresocial.admin import NeverDeletedMixin, ReadOnlyInline, ReadOnlyMixin, RegionModelAdmin
from placements.models import (
    CURRENT_LINES,
    CapException,
    PermanentLeaver,
    Placement,
    ProjectTeam,
    ProjectTeamMember,
    Reference,
    Timesheet,
    TimesheetLine,
    Worker,
)

# What a placement's __str__ reads ("SW123 · SW at Solihull via Alpha from 2024-04-01"): joined wherever one is shown.
PLACEMENT_RELATED = ("worker", "role", "authority", "agency")


def _placement_related(prefix):
    return tuple(f"{prefix}__{name}" for name in PLACEMENT_RELATED)


@admin.register(Worker)
class WorkerAdmin(RegionModelAdmin):
    """The verified qualification date is set on the coordinator's page of conflicting claims (/placements/workers/
    qualification/), which has the audit judge the worker's placements again: shown here, not edited."""

    list_display = ("swe_number", "verified_qualified_on", "qualified_on_verified_by", "created_at")
    search_fields = ("swe_number",)
    date_hierarchy = "created_at"
    readonly_fields = ("verified_qualified_on", "qualified_on_verified_by", "qualified_on_verified_at", "created_at")


@admin.register(PermanentLeaver)
class PermanentLeaverAdmin(NeverDeletedMixin, RegionModelAdmin):
    list_display = ("worker", "authority", "left_on", "reason", "exempt", "recorded_by")
    list_filter = ("reason", "authority")
    list_select_related = ("worker", "authority", "recorded_by")
    date_hierarchy = "left_on"
    search_fields = ("worker__swe_number", "authority__name")
    autocomplete_fields = ("worker", "authority")
    readonly_fields = ("recorded_by", "recorded_at")

    @admin.display(boolean=True, description="exempt from cooling-off")
    def exempt(self, obj):
        return obj.is_exempt

    def new_object_values(self, request):
        return {"recorded_by": request.user}


class CapExceptionInline(admin.TabularInline):
    model = CapException
    fields = ("signed_by_dcs", "signed_by_chief_executive", "reason", "valid_from", "valid_until", "recorded_by")
    readonly_fields = ("recorded_by",)
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class ReferenceInline(ReadOnlyInline):
    """An agency's claim, recorded on its placement's page or through the API: shown here, not edited."""

    model = Reference
    fields = ("referee", "referee_role", "organisation", "given_on", "recorded_by")
    show_change_link = False


@admin.register(Placement)
class PlacementAdmin(NeverDeletedMixin, RegionModelAdmin):
    list_display = (
        "id",
        "worker",
        "role",
        "authority",
        "agency",
        "engagement_type",
        "start_date",
        "end_date",
        "pay_rate",
        "charge_rate",
        "project_team",
    )
    list_display_links = ("id", "worker")
    list_filter = ("authority", "role", "engagement_type", "project_team", "agency__standing")
    # The changelist, the autocomplete of cap exceptions and breaches, and the change page all name the worker,
    # role, authority and agency: one join instead of a query per row.
    list_select_related = PLACEMENT_RELATED
    date_hierarchy = "start_date"
    search_fields = ("=id", "worker__swe_number", "agency__name", "authority__name", "role__code")
    autocomplete_fields = ("agency", "authority", "role", "worker")
    readonly_fields = ("created_by", "created_at")
    inlines = (CapExceptionInline, ReferenceInline)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*PLACEMENT_RELATED)

    def new_object_values(self, request):
        return {"created_by": request.user}

    def save_formset(self, request, form, formset, change):
        for exception in formset.save(commit=False):
            if exception.recorded_by_id is None:
                exception.recorded_by = request.user
            exception.save()
        formset.save_m2m()


@admin.register(CapException)
class CapExceptionAdmin(NeverDeletedMixin, RegionModelAdmin):
    list_display = (
        "id",
        "placement",
        "signed_by_dcs",
        "signed_by_chief_executive",
        "valid_from",
        "valid_until",
        "recorded_by",
    )
    list_filter = ("placement__authority",)
    list_select_related = (*_placement_related("placement"), "recorded_by")
    date_hierarchy = "valid_from"
    search_fields = ("=placement__id", "placement__worker__swe_number", "placement__agency__name", "reason")
    autocomplete_fields = ("placement",)
    readonly_fields = ("recorded_by", "recorded_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*_placement_related("placement"))

    def new_object_values(self, request):
        return {"recorded_by": request.user}


class TimesheetLineInline(ReadOnlyInline):
    model = TimesheetLine
    fields = ("revision", "date", "hours", "pay_rate", "charge_rate", "superseded_at")
    readonly_fields = fields
    ordering = ("-revision", "date")
    show_change_link = False


@admin.register(Timesheet)
class TimesheetAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Timesheets are submitted through the portal, an upload or the API; a resubmission adds a revision of lines,
    keeping the old ones. Nothing here is edited by hand."""

    list_display = ("week_ending", "placement", "revision", "current_lines", "submitted_by", "submitted_at")
    list_filter = ("placement__authority",)
    list_select_related = (*_placement_related("placement"), "submitted_by")
    date_hierarchy = "week_ending"
    search_fields = ("=placement__id", "placement__worker__swe_number", "placement__agency__name")
    inlines = (TimesheetLineInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(*_placement_related("placement"))
            .annotate(current_lines_count=Count("lines", filter=CURRENT_LINES))
        )

    @admin.display(description="current lines", ordering="current_lines_count")
    def current_lines(self, obj):
        return obj.current_lines_count


@admin.register(TimesheetLine)
class TimesheetLineAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Written by timesheet submission and read by the audit; never changed by hand."""

    list_display = ("id", "date", "placement", "revision", "hours", "pay_rate", "charge_rate", "superseded_at")
    list_filter = (("superseded_at", admin.EmptyFieldListFilter), "placement__authority")
    list_select_related = _placement_related("placement")
    date_hierarchy = "date"
    search_fields = ("=id", "=placement__id", "placement__worker__swe_number")
    # Millions of lines: don't count the whole table on every page.
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("timesheet", *_placement_related("placement"))


class ProjectTeamMemberInline(ReadOnlyInline):
    model = ProjectTeamMember
    fields = ("worker", "role", "cost")
    show_change_link = False


@admin.register(ProjectTeam)
class ProjectTeamAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Recorded by councils on /project-teams/ (or through the API), which has the audit judge the named workers'
    placements again: shown here, not edited."""

    list_display = ("name", "agency", "authority", "approved_on", "approved_by", "cost_of_service")
    list_filter = ("authority",)
    list_select_related = ("agency", "authority")
    search_fields = ("name", "agency__name", "members__worker__swe_number")
    date_hierarchy = "approved_on"
    inlines = (ProjectTeamMemberInline,)


@admin.register(ProjectTeamMember)
class ProjectTeamMemberAdmin(ReadOnlyMixin, RegionModelAdmin):
    list_display = ("worker", "team", "role", "cost")
    list_select_related = ("worker", "role", "team__agency", "team__authority")
    search_fields = ("worker__swe_number", "team__name")


@admin.register(Reference)
class ReferenceAdmin(ReadOnlyMixin, RegionModelAdmin):
    """An agency's claim about its worker, kept with its placement: shown here, not edited."""

    list_display = ("placement", "referee", "referee_role", "organisation", "given_on", "recorded_by")
    list_select_related = (*_placement_related("placement"), "recorded_by")
    search_fields = ("=placement__id", "placement__worker__swe_number", "referee")
    date_hierarchy = "given_on"
