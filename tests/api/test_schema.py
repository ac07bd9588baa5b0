"""The OpenAPI schema councils and agencies build on generates without a warning and validates."""

from io import StringIO

from django.core.management import call_command


def test_the_schema_validates_without_warnings():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in ("/api/v1/placements/", "/api/v1/breaches/{id}/", "/api/v1/corrective-actions/{id}/sign/"):
        assert f"  {path}:" in schema
