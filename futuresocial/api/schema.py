"""The error answers every operation can give, written into the OpenAPI schema once for all (SPEC §7).

drf-spectacular documents what a view returns when it succeeds; the errors come from the framework around it (the
token check, `WriteRoles`, scoping, the throttles, the filters), the same for every view. This postprocessing hook
adds them to each operation that can give them, keeping any a view documents itself (e.g. the upload's 400):

- 400 field errors: every write, and every read that takes query parameters (a bad filter value is a 400 too);
- 401 without a valid token: every operation but asking for a token;
- 403 a role that may not make the change: every write;
- 404 outside the caller's scope (or no such object): every operation on one object, and lists (a page past the end);
- 429 too many requests (futuresocial.api.throttling): every write, and the token endpoint.
"""

SAFE = {"get", "head", "options"}
TOKEN_PATH = "/api/v1/auth/token/"
# Query parameters that cannot make a request invalid: a bad `page_size` or `ordering` is ignored (a bad `page` is
# a 404, documented on every list).
HARMLESS_PARAMETERS = {"page", "page_size", "ordering"}

ERROR = {
    "type": "object",
    "description": "Why the request was refused.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": (
        "Field errors: each field in error (or `non_field_errors`) with its list of messages; the fields of a nested "
        "list (`caps`, `items`, `lines`) with one entry per element sent."
    ),
    "additionalProperties": {},
}

DESCRIPTIONS = {
    "400": "Invalid input: field errors; nothing was changed.",
    "401": "No token, or a token that is not valid (revoked): send `Authorization: Token <token>`.",
    "403": "Your role may not make this change.",
    "404": "Not found: no such object, or one outside your scope (another authority's or agency's).",
    "429": "Too many requests: the message says which limit; retry after the `Retry-After` header's seconds.",
}


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors_for(path: str, method: str, operation: dict) -> list[str]:
    writes = method not in SAFE
    query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    is_list = "page" in query
    if path == TOKEN_PATH:
        return ["400", "429"] if method == "post" else ["401", "429"]
    codes = ["401"]
    if writes or query - HARMLESS_PARAMETERS:
        codes.append("400")
    if writes:
        codes += ["403", "429"]
    if "{" in path or is_list:
        codes.append("404")
    return codes


def add_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: the errors of each operation (see the module's docstring)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method.startswith("x-") or method == "parameters":
                continue
            responses = operation.setdefault("responses", {})
            # The errors it can give, and any a view documented without a body.
            codes = set(_errors_for(path, method, operation)) | (set(responses) & set(DESCRIPTIONS))
            for code in sorted(codes):
                response = responses.setdefault(code, {})
                if not response.get("description"):
                    response["description"] = DESCRIPTIONS[code]
                response.setdefault("content", _json("FieldErrors" if code == "400" else "Error"))
                if code == "429":
                    response.setdefault(
                        "headers",
                        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
                    )
    return result
