from django.contrib import admin
from django.utils.functional import lazy

from futuresocial.admin import NeverDeletedMixin, ReadOnlyMixin, RegionModelAdmin
from region.models import Authority, Region
from region.selectors import region_name

# Named when a page is drawn, not when the admin loads: the region is the database's.
admin.site.site_header = admin.site.site_title = lazy(lambda: f"{region_name()} agency MoU — administration", str)()


@admin.register(Authority)
class AuthorityAdmin(NeverDeletedMixin, RegionModelAdmin):
    """The region's authorities are seeded by migration (the West Midlands') or written by `setup_region`: nobody adds
    or deletes one; only a superuser may correct one (e.g. mark a children's trust)."""

    list_display = ("name", "code", "la_code", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "code", "la_code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Region)
class RegionAdmin(ReadOnlyMixin, RegionModelAdmin):
    """Written by `setup_region` on a fresh database: shown here, never changed by hand (its authorities follow it)."""

    list_display = ("name", "code", "set_up_at")
