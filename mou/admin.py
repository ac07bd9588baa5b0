"""MoU versions and their caps. History is never rewritten (SPEC §3): once a version has been in force, its rules
are read-only here and it can't be deleted; a draft is edited freely. Bringing a draft into force supersedes the
version in force, so it is not a field to edit here: it is the `bring-into-force` step of the app and the API."""

from django.contrib import admin
from django.db.models import Count

from futuresocial.admin import NeverDeletedMixin, RegionModelAdmin
from mou.models import Cap, MouVersion, Role


@admin.register(Role)
class RoleAdmin(NeverDeletedMixin, RegionModelAdmin):
    """The national job types are seeded by migration: nobody adds or deletes one; only a superuser may correct one."""

    list_display = ("code", "name", "capped", "rank")
    list_filter = ("capped",)
    search_fields = ("code", "name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


class CapInline(admin.TabularInline):
    model = Cap
    extra = 0
    fields = ("role", "engagement_type", "max_pay_rate", "max_charge_rate")
    ordering = ("role__rank", "engagement_type")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role")

    # A published version's caps judged real work: they stay as they were.
    def has_add_permission(self, request, obj=None):
        return (obj is None or obj.is_draft) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.is_draft) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_draft) and super().has_delete_permission(request, obj)


@admin.register(MouVersion)
class MouVersionAdmin(RegionModelAdmin):
    list_display = (
        "name",
        "status",
        "effective_from",
        "binds_existing_from",
        "cooling_off_months",
        "min_experience_years",
        "caps_count",
    )
    list_filter = ("status",)
    date_hierarchy = "effective_from"
    search_fields = ("name", "notes")
    inlines = (CapInline,)
    fields = (
        "name",
        "status",
        "effective_from",
        "binds_existing_from",
        "cooling_off_months",
        "min_experience_years",
        "notes",
        "created_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(caps_count=Count("caps"))

    @admin.display(description="caps", ordering="caps_count")
    def caps_count(self, obj):
        return obj.caps_count

    def get_readonly_fields(self, request, obj=None):
        readonly = ("status", "created_at")
        if obj is not None and not obj.is_draft:
            # Only the notes on where the figures come from may still be completed.
            readonly = tuple(f for f in self.fields if f != "notes")
        return readonly + tuple(super().get_readonly_fields(request, obj))

    def has_delete_permission(self, request, obj=None):
        # Drafts may be thrown away; a version that has been in force may not (a database trigger agrees).
        return (obj is None or obj.is_draft) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # The bulk delete could pick published versions, which the trigger refuses: drafts are deleted one by one.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Cap)
class CapAdmin(RegionModelAdmin):
    list_display = ("version", "role", "engagement_type", "max_pay_rate", "max_charge_rate")
    list_filter = ("version", "role", "engagement_type")
    list_select_related = ("version", "role")
    search_fields = ("version__name", "role__code", "role__name")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version", "role")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = MouVersion.objects.filter(status=MouVersion.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.version.is_draft) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.version.is_draft) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
