"""The DfE return as files a council officer opens in a spreadsheet: one CSV per section (the placements by
default), or one XLSX workbook with a cover sheet and a sheet per section."""

import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

from openpyxl import Workbook

from dashboards.exports import XLSX, Table, table_csv
from dfe.returns import SECTIONS, DfeReturn


def _cell(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _stem(ret: DfeReturn) -> str:
    return f"dfe-return-{ret.authority.code}-{ret.quarter}"


def section_csv(ret: DfeReturn, key: str) -> HttpResponse:
    title, headings, rows = ret.section(key)
    table = Table(
        title=title,
        columns=headings,
        rows=[[_cell(value) for value in row] for row in rows],
        filename=f"{_stem(ret)}-{key}",
    )
    return table_csv(table)


def return_xlsx(ret: DfeReturn) -> HttpResponse:
    book = Workbook(write_only=True)
    cover = book.create_sheet("Return")
    cover.append(["DfE quarterly return on agency social workers"])
    cover.append(["Authority", ret.authority.name])
    cover.append(["ONS code", ret.authority.code])
    cover.append(["DfE LA code", ret.authority.la_code])
    cover.append(["Quarter", str(ret.quarter)])
    cover.append(["Period", ret.period_start, ret.period_end])
    cover.append(["Generated at", timezone.localtime(ret.generated_at).replace(tzinfo=None)])
    cover.append(["Total cost in the quarter (£)", float(ret.total_cost)])
    for key in SECTIONS:
        title, headings, rows = ret.section(key)
        sheet = book.create_sheet(title[:31])
        sheet.append(headings)
        for row in rows:
            # Money as numbers a spreadsheet can sum; dates as dates.
            sheet.append([float(v) if isinstance(v, Decimal) else _cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_stem(ret).lower()}.xlsx"'
    return response
