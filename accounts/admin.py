from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

import futuresocial.admin  # noqa: F401  (the site's header and the conventions every app's admin uses)
from accounts.models import User
from futuresocial.scoping import visible_to


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = DjangoUserAdmin.fieldsets + (("Place in the region", {"fields": ("role", "authority", "agency")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (
            "Place in the region",
            {
                "description": "Council users belong to an authority, agency users to an agency; the coordinator "
                "and analysts to neither.",
                "fields": ("role", "authority", "agency"),
            },
        ),
    )
    list_display = ("username", "email", "first_name", "last_name", "role", "authority", "agency", "is_staff")
    list_filter = ("role", "authority", "is_staff", "is_superuser", "is_active")
    list_select_related = ("authority", "agency")
    search_fields = ("username", "first_name", "last_name", "email", "agency__name", "authority__name")
    autocomplete_fields = ("authority", "agency")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return visible_to(queryset, request.user)
