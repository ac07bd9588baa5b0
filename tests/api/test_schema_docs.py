"""The OpenAPI schema documents every operation's errors, and the browsable docs need no internet (SPEC §7)."""

import re

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_documents_its_errors(schema):
    missing = []
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        if path == "/api/v1/auth/token/":
            expected = {"400", "429"} if method == "post" else {"401", "429"}
        else:
            expected = {"401", "400", "403", "429"} if method in WRITES else {"401"}
        if "{" in path:
            expected.add("404")
        if any(p["name"] == "page" for p in operation.get("parameters", [])):
            expected |= {"400", "404"} if len(operation["parameters"]) > 3 else {"404"}
        missing += [f"{method.upper()} {path}: {code}" for code in sorted(expected - codes)]
        for code in codes & {"400", "401", "403", "404", "429"}:
            assert operation["responses"][code]["description"], (method, path, code)
            assert "content" in operation["responses"][code], (method, path, code)
    assert missing == []


def test_the_error_bodies_are_named_schemas(schema):
    responses = schema["paths"]["/api/v1/placements/{id}/"]["patch"]["responses"]
    assert responses["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FieldErrors"}
    assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    assert "Retry-After" in responses["429"]["headers"]


def test_standing_is_read_only_in_the_schema(schema):
    agency = schema["components"]["schemas"]["Agency"]["properties"]["standing"]
    assert agency["readOnly"] is True
    assert "suspensions" in agency["description"]


def test_lists_document_their_filters_and_ordering(schema):
    def names(path):
        return {p["name"] for p in schema["paths"][path]["get"]["parameters"]}

    assert {"authority", "agency", "role", "start_date_after", "start_date_before", "ordering", "page_size"} <= names(
        "/api/v1/placements/"
    )
    assert {"authority", "agency", "role", "status", "rule", "detected_after", "detected_before"} <= names(
        "/api/v1/breaches/"
    )
    assert {"week_ending_after", "week_ending_before", "agency", "authority"} <= names("/api/v1/timesheets/")


def test_the_schema_is_served_as_openapi_3_without_signing_in():
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


def test_the_docs_page_loads_nothing_from_another_host():
    client = APIClient()
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), "the page names another host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui" in asset for asset in assets)
    for asset in assets:
        assert asset.startswith(("/", "?")), asset
        # Each one is served by the app itself (the installed drf-spectacular-sidecar, or the docs view's script).
        url = asset if asset.startswith("/") else "/api/v1/docs/" + asset
        assert client.get(url.replace("&amp;", "&")).status_code == 200, asset


@pytest.mark.parametrize("method", ["options", "post"])
def test_the_docs_page_answers_other_methods_with_405_not_a_server_error(method, coordinator):
    client = APIClient()
    client.force_login(coordinator)
    assert getattr(client, method)("/api/v1/docs/").status_code == 405
