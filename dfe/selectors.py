"""Reads of filed DfE returns: the filing of a council's quarter, the filings a user may see, the return as filed
(for its files), and what has changed in the data since (`differences`, a pure function over two returns' JSON)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dateparse import parse_datetime

from rest_framework import serializers

from dfe.models import FiledReturn
from dfe.returns import SECTIONS, DfeReturn, Quarter, dfe_return
from dfe.serializers import DfeReturnSerializer
from futuresocial.scoping import visible_to
from region.models import Authority

# Each section's natural key: what says "the same row" in the return as filed and in today's. An agency by id, so
# that a renamed agency is a change of its name, not one agency removed and another added.
SECTION_KEYS = {
    "placements": "placement",
    "breaches": "breach",
    "sign_offs": "cap_exception",
    "agencies": "agency_id",
    "monthly_costs": "month",
    "compliance": "rule",
}


def filing_of(*, authority: Authority, quarter: Quarter | str) -> FiledReturn | None:
    """The filing of `authority`'s return for `quarter`, if it has been filed."""
    return (
        FiledReturn.objects.select_related("authority", "filed_by")
        .filter(authority=authority, quarter=str(quarter))
        .first()
    )


def filings_visible_to(user):
    """The filings `user` may see: a council its own authority's, the coordinator and analysts all (`scope`)."""
    return visible_to(FiledReturn.objects.select_related("authority", "filed_by"), user)


def return_json(ret: DfeReturn) -> dict:
    """The return as the API's JSON, as plain dicts and lists: what a filing stores, and what it is compared with."""
    return json.loads(json.dumps(DfeReturnSerializer(ret).data, cls=DjangoJSONEncoder))


def live_return_json(*, authority: Authority, quarter: Quarter) -> dict:
    return return_json(dfe_return(authority=authority, quarter=quarter))


# Fields read back from the JSON as the values the files write (money as numbers in the XLSX, dates as dates).
_TYPED = (serializers.DecimalField, serializers.DateField, serializers.DateTimeField)


def as_filed(filing: FiledReturn) -> DfeReturn:
    """The return as filed, for `dfe.exports`: the filed JSON's rows with their values typed as a live return's,
    so the files of the return as filed are the files as they were on the day (named `-filed`)."""
    data = filing.filed
    fields = DfeReturnSerializer().fields
    sections = {key: [_typed(row, fields[key].child.fields) for row in data.get(key, [])] for key in SECTIONS}
    # The authority as it was named in the filed return, not as it may be named today.
    authority = Authority(pk=filing.authority_id, **data["authority"])
    return DfeReturn(
        authority=authority,
        quarter=Quarter.parse(data["quarter"]),
        **sections,
        generated_at=parse_datetime(data["generated_at"]),
        filed=filing,
    )


def _typed(row: dict, fields: dict) -> dict:
    return {
        name: fields[name].to_internal_value(value)
        if value is not None and isinstance(fields.get(name), _TYPED)
        else value
        for name, value in row.items()
    }


def differences(filed: dict, live: dict) -> dict[str, dict]:
    """What changed between the return as filed and today's, section by section (both as the API's JSON).

    For each section: `added` (rows in today's return only), `removed` (rows in the filed one only), `changed` (rows
    in both whose values differ: `{"key", "fields": [{"field", "filed", "now"}]}`), rows matched by SECTION_KEYS.
    Only fields both rows have are compared: a field the API gains later is not a change to every filed row.
    """
    return {
        section: _section_differences(filed.get(section) or [], live.get(section) or [], key)
        for section, key in SECTION_KEYS.items()
    }


def _section_differences(filed_rows: list[dict], live_rows: list[dict], key: str) -> dict:
    before = {row[key]: row for row in filed_rows}
    now = {row[key]: row for row in live_rows}
    changed = []
    for row in filed_rows:
        current = now.get(row[key])
        if current is None:
            continue
        fields = [
            {"field": field, "filed": value, "now": current[field]}
            for field, value in row.items()
            if field in current and current[field] != value
        ]
        if fields:
            changed.append({"key": row[key], "fields": fields})
    return {
        "added": [row for row in live_rows if row[key] not in before],
        "removed": [row for row in filed_rows if row[key] not in now],
        "changed": changed,
    }


def has_differences(diff: dict[str, dict]) -> bool:
    return any(entries for section in diff.values() for entries in section.values())
