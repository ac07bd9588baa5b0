from django.contrib import admin

from futuresocial.admin import NeverDeletedMixin, RegionModelAdmin
from region.models import Authority


@admin.register(Authority)
class AuthorityAdmin(NeverDeletedMixin, RegionModelAdmin):
    """The 14 authorities are seeded by migration: nobody adds or deletes one; only a superuser may correct one."""

    list_display = ("name", "code", "la_code", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "code", "la_code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser
