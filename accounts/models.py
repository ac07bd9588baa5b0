from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone


class User(AbstractUser):
    """A person using the app, in one of the four roles of SPEC §2.

    Council users belong to one authority, agency users to one agency; the coordinator and analysts are regional.
    What each may see is decided in one place: `futuresocial.scoping`.
    """

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", "Workforce coordinator"
        ANALYST = "analyst", "Analyst"
        COUNCIL = "council", "Council user"
        AGENCY = "agency", "Agency user"

    role = models.CharField(max_length=12, choices=Role.choices, default=Role.ANALYST)
    authority = models.ForeignKey(
        "region.Authority", on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    # When the password last changed: API tokens issued before it no longer work (futuresocial/api/authentication.py).
    # Null: not since this field was added.
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="council", authority__isnull=False, agency__isnull=True)
                    | Q(role="agency", agency__isnull=False, authority__isnull=True)
                    | Q(role__in=["coordinator", "analyst"], authority__isnull=True, agency__isnull=True)
                ),
                name="user_belongs_where_role_says",
            ),
        ]

    def set_password(self, raw_password):
        # Every way a password changes (reset, change, admin, add_user) comes through here; saved with the hash.
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def is_coordinator(self):
        return self.role == self.Role.COORDINATOR

    @property
    def is_regional(self):
        """Coordinator and analysts see the whole region."""
        return self.role in (self.Role.COORDINATOR, self.Role.ANALYST)

    @property
    def is_council(self):
        return self.role == self.Role.COUNCIL

    @property
    def is_agency(self):
        return self.role == self.Role.AGENCY

    @property
    def reads_figures(self):
        """The dashboards, workforce figures and DfE returns are read by councils (of their authority), the
        coordinator and analysts. Agencies have their portal: the region's figures would show them competitors'."""
        return self.is_regional or (self.is_council and self.authority_id is not None)

    def __str__(self):
        return self.get_full_name() or self.username


class SavedView(models.Model):
    """A list page's filters, saved by a person under a name of their own ("Birmingham, oldest first"): the links
    above the list take them back to it. Each person's own; saving a name again replaces what it keeps."""

    # The lists that offer saved views, by their URL's name, and what the pages call them.
    LISTS = {
        "compliance:breaches": "breach cases",
        "placements:list": "placements",
        "compliance:corrective-actions": "corrective actions",
        "compliance:queries": "questions",
    }

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    list_name = models.CharField(max_length=40, choices=list(LISTS.items()))
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500, blank=True, help_text="The list's query string, without a page number")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name", "name"], name="saved_view_name_once_per_list"),
        ]

    def __str__(self):
        return self.name
