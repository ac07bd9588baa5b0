from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

import futuresocial.admin  # noqa: F401  (the site's header and the conventions every app's admin uses)
from accounts.models import SavedView, User
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


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """People's saved views of list pages: shown, and removable (they are each person's own bookmarks)."""

    list_display = ("name", "user", "list_name", "query", "created_at")
    list_filter = ("list_name",)
    list_select_related = ("user",)
    search_fields = ("name", "user__username")
    readonly_fields = ("user", "list_name", "name", "query", "created_at")

    def has_add_permission(self, request):
        return False
