"""API tokens in the admin: DRF's list of tokens, with an action that revokes the selected ones (a lost laptop, a
leaver). A revoked token answers 401 from then on; its user asks `POST /api/v1/auth/token/` for a new one."""

from django.contrib import admin, messages
from django.utils.translation import ngettext

from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(DrfTokenAdmin):
    # DRF switches actions off because its change pages are addressed by user id; an action works on the selected
    # rows' own keys, so revoking is safe. Deleting through the change page stays as DRF has it.
    actions = ["revoke_tokens"]

    @admin.action(description="Revoke the selected API tokens", permissions=["delete"])
    def revoke_tokens(self, request, queryset):
        users = ", ".join(sorted(token.user.get_username() for token in queryset.select_related("user")))
        count, _ = queryset.delete()
        self.message_user(
            request,
            ngettext("Revoked %(count)d API token (%(users)s).", "Revoked %(count)d API tokens (%(users)s).", count)
            % {"count": count, "users": users},
            messages.SUCCESS,
        )
