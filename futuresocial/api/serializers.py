"""Serializer pieces every writable resource shares: the caller's own tenant, related objects in scope, and the
services' validation errors as field errors."""

from contextlib import contextmanager

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError

from rest_framework import serializers
from rest_framework.settings import api_settings

from futuresocial.scoping import visible_to


def with_own_tenant(attrs: dict, *, field: str, user, message: str) -> dict:
    """Fill `attrs[field]` (`agency` or `authority`) with the caller's own tenant, refusing any other.

    A council or agency user may leave the field out (it defaults to theirs) or name their own; naming another is
    a 400 field error, never a write. Regional users (the coordinator) must name one.
    """
    if user.is_regional:
        if attrs.get(field) is None:
            raise serializers.ValidationError({field: [serializers.Field.default_error_messages["required"]]})
        return attrs
    own = getattr(user, field, None)
    if own is None or attrs.get(field, own) != own:
        raise serializers.ValidationError({field: [message]})
    attrs[field] = own
    return attrs


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object by id, looked up among the rows the caller may see.

    An id outside the caller's scope gets the same answer as one that does not exist ("not a placement at your
    authority"), so a write never reveals whether another tenant's object exists.
    """

    def get_queryset(self):
        return visible_to(super().get_queryset(), self.context["request"].user)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if getattr(error.detail[0], "code", None) != "does_not_exist":
                raise
            raise serializers.ValidationError(self.outside_scope_message(), code="does_not_exist") from None

    def outside_scope_message(self):
        noun = self.queryset.model._meta.verbose_name
        user = self.context["request"].user
        if user.is_council:
            return f"not a {noun} at your authority"
        if user.is_agency:
            return f"not a {noun} of your agency"
        return f"no such {noun}"


@contextmanager
def service_errors(rename: dict[str, str] | None = None):
    """Turn a service's django `ValidationError` into DRF's 400 with field errors.

    `rename` maps the service's (model's) field names to the API's, e.g. `{"swe_number": "worker_swe_number"}`;
    errors not tied to a field (`__all__`) come back as `non_field_errors`.
    """
    try:
        yield
    except DjangoValidationError as error:
        detail = serializers.as_serializer_error(error)
        rename = {NON_FIELD_ERRORS: api_settings.NON_FIELD_ERRORS_KEY, **(rename or {})}
        raise serializers.ValidationError({rename.get(key, key): value for key, value in detail.items()}) from None


def file_upload_request(description: str) -> dict:
    """The request body of an upload action, for `extend_schema(request=...)`: one multipart `file` part (a
    serializer's FileField would be documented as a URL)."""
    return {
        "multipart/form-data": {
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary", "description": description}},
            "required": ["file"],
        }
    }


READ_ONLY = "This field is read-only."


def refuse_read_only_fields(data, *, body, resource) -> None:
    """A 400 naming each field of the body that the write cannot change: a read-only field of the body's serializer,
    or a field of the resource (what the API answers with) that the body does not take. Fields neither knows are
    left to the body's serializer (DRF ignores them)."""
    writable = {name for name, field in body.fields.items() if not field.read_only}
    known = set(body.fields) | set(resource.fields)
    refused = sorted(name for name in data.keys() if name in known and name not in writable)
    if refused:
        raise serializers.ValidationError({name: [READ_ONLY] for name in refused})


def integrity_error_detail(error) -> dict:
    """Field errors for the database's refusal of a write: the unique constraint's fields, in Django's words
    ("Agency with this Company number already exists."), found by the constraint's name; else a message that says
    the record conflicts with one already stored."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
    for model in apps.get_models():
        table = model._meta.db_table
        fields = next((c.fields for c in model._meta.constraints if c.name == name and getattr(c, "fields", ())), ())
        if not fields and name.startswith(f"{table}_"):
            # A field's own unique=True: PostgreSQL names it <table>_<column>_key (Django <table>_<column>_<hash>_uniq);
            # the longest column named wins (`company_number` over a `number`).
            rest = name[len(table) :] + "_"
            unique = [f for f in model._meta.local_fields if f.unique and not f.primary_key and f"_{f.column}_" in rest]
            fields = tuple(f.name for f in sorted(unique, key=lambda f: -len(f.column))[:1])
        if fields:
            message = model().unique_error_message(model, list(fields)).messages[0]
            key = fields[0] if len(fields) == 1 else api_settings.NON_FIELD_ERRORS_KEY
            return {key: [message]}
    return {api_settings.NON_FIELD_ERRORS_KEY: ["This conflicts with a record already stored: nothing was changed."]}
