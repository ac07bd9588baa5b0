"""MoU versions and their caps, shown only: the coordinator writes them in the app's MoU editor (/mou-versions/) or the
API, through mou.services, which check every draft, adopt it (superseding, scheduling or recording it for the past) and
queue the re-judging it implies. A write here would bypass all of that."""

from django.contrib import admin
from django.db.models import Count

from futuresocial.admin import NeverDeletedMixin, ReadOnlyInline, ReadOnlyMixin, RegionModelAdmin
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


class CapInline(ReadOnlyInline):
    model = Cap
    fields = ("role", "engagement_type", "max_pay_rate", "max_charge_rate")
    ordering = ("role__rank", "engagement_type")
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role")


@admin.register(MouVersion)
class MouVersionAdmin(ReadOnlyMixin, RegionModelAdmin):
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


@admin.register(Cap)
class CapAdmin(ReadOnlyMixin, RegionModelAdmin):
    list_display = ("version", "role", "engagement_type", "max_pay_rate", "max_charge_rate")
    list_filter = ("version", "role", "engagement_type")
    list_select_related = ("version", "role")
    search_fields = ("version__name", "role__code", "role__name")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version", "role")
