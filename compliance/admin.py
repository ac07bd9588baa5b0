from django.contrib import admin
from django.db.models import Count
from django.utils import timezone

from compliance.models import (
    AuditRun,
    Breach,
    BreachLine,
    BreachNote,
    CorrectiveAction,
    CorrectiveActionItem,
    Query,
    Rejudge,
)
from futuresocial.admin import NeverDeletedMixin, ReadOnlyInline, ReadOnlyMixin, RegionModelAdmin


@admin.register(AuditRun)
class AuditRunAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Runs are started from the app, the API or `run_audit`, and written by the audit as it goes."""

    list_display = (
        "id",
        "status",
        "trigger",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "progress",
        "lines_checked",
        "placements_checked",
        "lines_rejudged",
        "placements_rejudged",
        "breaches_found",
    )
    list_filter = ("status", "trigger")
    list_select_related = ("requested_by",)
    date_hierarchy = "created_at"


@admin.register(Rejudge)
class RejudgeAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Requests to judge work again, written when a change asks (mou.signals.judging_changed), done by an audit."""

    list_display = (
        "id",
        "reason",
        "requested_at",
        "requested_by",
        "audit_run",
        "lines_rejudged",
        "placements_rejudged",
    )
    list_select_related = ("requested_by", "audit_run")
    search_fields = ("reason",)
    date_hierarchy = "requested_at"


class BreachLineInline(ReadOnlyInline):
    model = BreachLine
    fields = ("line_date", "line", "cap", "rate", "excess_per_hour", "hours", "excess")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line")

    @admin.display(description="date")
    def line_date(self, obj):
        return obj.line.date


@admin.register(Breach)
class BreachAdmin(NeverDeletedMixin, RegionModelAdmin):
    list_display = (
        "id",
        "rule",
        "agency",
        "authority",
        "placement_id",
        "status",
        "severity",
        "excess_amount",
        "lines_count",
        "assignee",
        "detected_at",
    )
    list_filter = (
        "status",
        "severity",
        "rule",
        "source",
        "authority",
        "mou_version",
        ("assignee", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("agency", "authority", "assignee")
    date_hierarchy = "detected_at"
    search_fields = ("=id", "agency__name", "placement__worker__swe_number", "description")
    autocomplete_fields = ("agency", "authority", "placement", "mou_version", "assignee")
    inlines = (BreachLineInline,)
    actions = ("assign_to_me",)
    fieldsets = (
        ("Case", {"fields": ("agency", "authority", "placement", "rule", "mou_version", "source", "reported_by")}),
        ("Work", {"fields": ("status", "severity", "assignee", "description", "dismissed_reason")}),
        (
            "Evidence",
            {"fields": ("cap_amount", "excess_hours", "excess_amount", "lines_count", "detected_at", "updated_at")},
        ),
    )
    # Set by the audit (or, for a manual report, from the request), never typed in.
    evidence_fields = (
        "source",
        "reported_by",
        "cap_amount",
        "excess_hours",
        "excess_amount",
        "lines_count",
        "detected_at",
        "updated_at",
    )

    @admin.display(description="placement", ordering="placement_id")
    def placement_id(self, obj):
        return obj.placement_id

    def get_readonly_fields(self, request, obj=None):
        readonly = (*super().get_readonly_fields(request, obj), "rule", *self.evidence_fields)
        if obj is not None:
            # What was breached, by whom, under which version: the case as found. Its handling is what changes.
            readonly += ("agency", "authority", "placement", "mou_version")
        return readonly

    def new_object_values(self, request):
        # A breach added by hand is a manual report by the person adding it (SPEC §4 rule 6).
        return {"rule": Breach.Rule.MANUAL, "source": Breach.Source.MANUAL, "reported_by": request.user}

    @admin.action(description="Assign the selected breaches to me")
    def assign_to_me(self, request, queryset):
        updated = queryset.update(assignee=request.user)
        self.message_user(request, f"{updated} breach(es) assigned to you.")


@admin.register(BreachLine)
class BreachLineAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Written by the audit: the offending timesheet lines of a breach and the arithmetic that makes each one."""

    list_display = ("id", "breach", "line_date", "cap", "rate", "excess_per_hour", "hours", "excess")
    list_filter = ("breach__rule",)
    list_select_related = ("breach__agency", "line")
    search_fields = ("=breach__id", "=line__id")
    show_full_result_count = False

    @admin.display(description="date", ordering="line__date")
    def line_date(self, obj):
        return obj.line.date


@admin.register(BreachNote)
class BreachNoteAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Notes are written on the breach page (compliance/views/breaches.py) and kept as they were written."""

    list_display = ("id", "breach", "author", "created_at", "text")
    list_select_related = ("breach__agency", "author")
    search_fields = ("=breach__id", "text")
    date_hierarchy = "created_at"


class CorrectiveActionItemInline(admin.TabularInline):
    """Remedial actions are agreed in the draft; once issued only their completion is recorded."""

    model = CorrectiveActionItem
    fields = ("description", "due_on", "done_on")
    extra = 0

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != CorrectiveAction.Status.DRAFT:
            return ("description", "due_on")
        return ()

    def has_add_permission(self, request, obj=None):
        return (obj is None or obj.status == CorrectiveAction.Status.DRAFT) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.status == CorrectiveAction.Status.DRAFT) and super().has_delete_permission(
            request, obj
        )


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(NeverDeletedMixin, RegionModelAdmin):
    """The status moves through the app's steps (issue, sign in the agency portal, complete): the signature
    is the agency's, so neither it nor the status is edited here."""

    list_display = ("id", "agency", "status", "items_count", "created_at", "issued_at", "signed_name", "signed_at")
    list_filter = ("status",)
    list_select_related = ("agency",)
    date_hierarchy = "created_at"
    search_fields = ("=id", "agency__name", "summary", "signed_name")
    autocomplete_fields = ("agency", "breaches")
    inlines = (CorrectiveActionItemInline,)
    fieldsets = (
        (None, {"fields": ("agency", "breaches", "summary", "status")}),
        ("Issued", {"fields": ("created_by", "created_at", "issued_at")}),
        ("Signed", {"fields": ("signed_by", "signed_name", "signed_at", "signed_ip", "completed_at")}),
    )
    readonly_fields = (
        "status",
        "created_by",
        "created_at",
        "issued_at",
        "signed_by",
        "signed_name",
        "signed_at",
        "signed_ip",
        "completed_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(items_count=Count("items"))

    @admin.display(description="actions", ordering="items_count")
    def items_count(self, obj):
        return obj.items_count

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != CorrectiveAction.Status.DRAFT:
            readonly += ("agency", "breaches", "summary")
        return readonly

    def new_object_values(self, request):
        return {"created_by": request.user}


@admin.register(CorrectiveActionItem)
class CorrectiveActionItemAdmin(RegionModelAdmin):
    list_display = ("id", "corrective_action", "description", "due_on", "done_on")
    list_filter = (("done_on", admin.EmptyFieldListFilter), "corrective_action__status")
    list_select_related = ("corrective_action__agency",)
    date_hierarchy = "due_on"
    search_fields = ("description", "corrective_action__agency__name")
    autocomplete_fields = ("corrective_action",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("corrective_action__agency")

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.corrective_action.status != CorrectiveAction.Status.DRAFT:
            readonly += ("corrective_action", "description", "due_on")
        return readonly

    def has_delete_permission(self, request, obj=None):
        draft = obj is None or obj.corrective_action.status == CorrectiveAction.Status.DRAFT
        return draft and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # The bulk delete could pick actions of an agreement already issued.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Query)
class QueryAdmin(RegionModelAdmin):
    list_display = ("subject", "asked_by_kind", "asked_by_name", "agency", "channel", "asked_at", "answered_at")
    list_filter = ("asked_by_kind", "channel", ("answered_at", admin.EmptyFieldListFilter))
    list_select_related = ("agency",)
    date_hierarchy = "asked_at"
    search_fields = ("subject", "question", "answer", "asked_by_name", "agency__name")
    autocomplete_fields = ("agency",)
    readonly_fields = ("asked_at", "answered_by", "answered_at")

    def save_model(self, request, obj, form, change):
        if obj.answer and obj.answered_at is None:
            obj.answered_by = request.user
            obj.answered_at = timezone.now()
        super().save_model(request, obj, form, change)
