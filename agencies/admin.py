from datetime import date

from django.contrib import admin

from agencies.models import Agency, Suspension
from futuresocial.admin import NeverDeletedMixin, RegionModelAdmin


class SecondTierAgencyInline(admin.TabularInline):
    model = Agency
    fk_name = "supplied_through"
    verbose_name = "second-tier agency"
    verbose_name_plural = "second-tier agencies (supplying through this MSP)"
    fields = ("name", "company_number", "standing")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Agency)
class AgencyAdmin(NeverDeletedMixin, RegionModelAdmin):
    list_display = ("name", "company_number", "standing", "is_msp", "supplied_through", "mou_signed_on")
    list_filter = ("standing", "is_msp")
    list_select_related = ("supplied_through",)
    search_fields = ("name", "company_number")
    autocomplete_fields = ("supplied_through",)
    inlines = (SecondTierAgencyInline,)


class SuspensionActiveFilter(admin.SimpleListFilter):
    title = "in effect today"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return (("yes", "In effect"), ("no", "Ended, lifted or not yet started"))

    def queryset(self, request, queryset):
        # The same test as Suspension.is_active_on, as a query.
        today = date.today()
        active = queryset.filter(starts_on__lte=today).exclude(lifted_on__lte=today).exclude(ends_on__lte=today)
        if self.value() == "yes":
            return active
        if self.value() == "no":
            return queryset.exclude(pk__in=active.values("pk"))
        return queryset


@admin.register(Suspension)
class SuspensionAdmin(NeverDeletedMixin, RegionModelAdmin):
    list_display = ("agency", "kind", "starts_on", "ends_on", "lifted_on", "in_effect_today", "imposed_by")
    list_filter = (SuspensionActiveFilter, "kind")
    list_select_related = ("agency", "imposed_by")
    date_hierarchy = "starts_on"
    search_fields = ("agency__name", "agency__company_number", "reason")
    autocomplete_fields = ("agency", "breaches")
    fieldsets = (
        (None, {"fields": ("agency", "kind", "starts_on", "ends_on", "reason", "breaches")}),
        ("Imposed", {"fields": ("imposed_by", "imposed_at")}),
        ("Lifted", {"fields": ("lifted_on", "lift_reason", "lifted_by")}),
    )
    readonly_fields = ("imposed_by", "imposed_at", "lifted_by")

    @admin.display(boolean=True, description="in effect today")
    def in_effect_today(self, obj):
        return obj.is_active_on(date.today())

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Who was suspended, and from when, is the record; an end date, a lifting and the breaches may follow.
            readonly += ("agency", "kind", "starts_on")
        return readonly

    def new_object_values(self, request):
        return {"imposed_by": request.user}

    def save_model(self, request, obj, form, change):
        if obj.lifted_on is not None and obj.lifted_by_id is None:
            obj.lifted_by = request.user
        super().save_model(request, obj, form, change)
