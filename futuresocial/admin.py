"""The admin site's conventions, shared by every app's admin.

- Every changelist is scoped by `futuresocial.scoping.visible_to` (superusers see everything), like the rest of the app.
- SPEC §3 History: nothing is deleted. `NeverDeletedMixin` takes the delete permission away (Django then also drops
  the bulk "delete selected" action, which needs it); database triggers refuse the delete on several tables anyway.
- Models tracked by django-pghistory show their latest events on the change page, with a link to the full list in
  pghistory's "Events" admin (`?method=tracks&obj=<app.Model>:<pk>`, the filter its EventsAdmin reads).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

import pghistory.core
from pghistory.models import Events

from futuresocial.history import ACTIONS, shown_value
from futuresocial.scoping import visible_to

# The header and title name the deployment's region: region/admin.py sets them.
admin.site.index_title = "Records"


def _is_tracked(model):
    return bool(pghistory.core.event_models(tracks_model=model))


def _describe_diff(model, diff):
    """'field: old → new' for each changed field of a pghistory event (empty for the first event of an object), as
    the history pages show them (a status by its label, a date as a date; a related row by its kind and number),
    leaving out the timestamps Django refreshes on every save."""
    columns = {f.column: f for f in model._meta.concrete_fields}
    stamps = {column for column, f in columns.items() if getattr(f, "auto_now", False)}
    return "; ".join(
        f"{columns[column].verbose_name}: {shown_value(columns[column], old)} → {shown_value(columns[column], new)}"
        for column, (old, new) in sorted((diff or {}).items())
        if column in columns and column not in stamps
    )


class RegionModelForm(forms.ModelForm):
    """Checks the model's constraints against read-only fields too, so that breaking one is a form error, not a 500.

    Django skips a constraint that names a field missing from the form, and the admin shows several fields read-only
    (a suspension's agency, a breach's rule); their stored values, or the values a new object is given from the
    request (`new_object_values`), are checked here once the form is otherwise valid.
    """

    new_object_values = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            for name, value in self.new_object_values.items():
                setattr(self.instance, name, value)

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.instance.validate_constraints()
        except ValidationError as error:
            self.add_error(None, error.messages)


class RegionModelAdmin(admin.ModelAdmin):
    """Base of the project's model admins: rows scoped to what the user may see, and a history panel."""

    form = RegionModelForm
    history_events_shown = 10

    def new_object_values(self, request):
        """Fields a new object takes from the request rather than the form (e.g. who imposed a suspension)."""
        return {}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        values = {} if obj is not None else self.new_object_values(request)
        return type(form.__name__, (form,), {"new_object_values": values})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return visible_to(queryset, request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and _is_tracked(self.model):
            fields += ("history",)
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "history"]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        if obj is not None and _is_tracked(self.model):
            fieldsets.append(("History", {"fields": ["history"]}))
        return fieldsets

    @admin.display(description="latest changes")
    def history(self, obj):
        # Two queries whatever the number of events: the events (pghistory's aggregate view over the event tables,
        # with the diff against the previous event) and the users named in their context by HistoryMiddleware.
        events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[: self.history_events_shown])
        user_ids = {(event.pgh_context or {}).get("user") for event in events} - {None}
        users = get_user_model().objects.in_bulk(user_ids)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(timezone.localtime(event.pgh_created_at), "DATETIME_FORMAT"),
                    ACTIONS.get(event.pgh_label, event.pgh_label),
                    users.get((event.pgh_context or {}).get("user"), "—"),
                    _describe_diff(self.model, event.pgh_diff),
                )
                for event in events
            ),
        )
        query = urlencode({"method": "tracks", "obj": f"{obj._meta.label}:{obj.pk}"})
        url = f"{reverse('admin:pghistory_events_changelist')}?{query}"
        return format_html(
            "<table><thead><tr><th>when</th><th>what</th><th>who</th><th>changes</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">All events of this {}</a></p>',
            rows,
            url,
            obj._meta.verbose_name,
        )


class NeverDeletedMixin:
    """SPEC §3 History: nothing is deleted. Without the delete permission the admin offers neither the delete
    button nor the bulk "delete selected" action."""

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyMixin(NeverDeletedMixin):
    """Rows written by the app itself (the audit, the importer) or seeded: the admin only shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
