"""The DfE return as files a council officer opens in a spreadsheet: one CSV of the whole return (a leading
`section` column says which section each row is in) or of one section, or one XLSX workbook with a cover sheet and a
sheet per section. Free text goes through `spreadsheet_safe`, as in every export of the site."""

import io

from django.http import HttpResponse
from django.utils import timezone

from openpyxl import Workbook

from dfe.returns import SECTIONS, DfeReturn
from futuresocial.exports import XLSX, Table, spreadsheet_safe, table_csv, xlsx_sheet


def _stem(ret: DfeReturn) -> str:
    # The return as filed is named apart from today's, so an officer never mistakes one file for the other.
    return f"dfe-return-{ret.authority.code}-{ret.quarter}" + ("-filed" if ret.filed else "")


def return_csv(ret: DfeReturn) -> HttpResponse:
    """Every section in one CSV: a row per row of each section, in the order of the return, its first column the
    section (`placements`, `breaches`, …, as `?section=` names them) and then every section's headings (a heading
    two sections share, such as Agency, is one column); a column not in the row's section is empty."""
    sections = [(key, *ret.section(key)[1:]) for key in SECTIONS]
    headings = []
    for _, section_headings, _ in sections:
        headings += [heading for heading in section_headings if heading not in headings]
    rows = []
    for key, section_headings, section_rows in sections:
        for row in section_rows:
            values = dict(zip(section_headings, row, strict=True))
            rows.append([key, *(values.get(heading) for heading in headings)])
    return table_csv(
        Table(title="DfE quarterly return", columns=["section", *headings], rows=rows, filename=_stem(ret))
    )


def section_csv(ret: DfeReturn, key: str) -> HttpResponse:
    title, headings, rows = ret.section(key)
    return table_csv(Table(title=title, columns=headings, rows=rows, filename=f"{_stem(ret)}-{key}"))


def return_xlsx(ret: DfeReturn) -> HttpResponse:
    book = Workbook(write_only=True)
    cover = book.create_sheet("Return")
    cover.append(["DfE quarterly return on agency social workers"])
    cover.append(["Authority", spreadsheet_safe(ret.authority.name)])
    cover.append(["ONS code", ret.authority.code])
    cover.append(["DfE LA code", ret.authority.la_code])
    cover.append(["Quarter", str(ret.quarter)])
    cover.append(["Period", ret.period_start, ret.period_end])
    cover.append(["Generated at", timezone.localtime(ret.generated_at).replace(tzinfo=None)])
    cover.append(["Total cost in the quarter (£)", float(ret.total_cost)])
    if ret.filed:
        cover.append(["Filed by", spreadsheet_safe(str(ret.filed.filed_by))])
        cover.append(["Filed at", timezone.localtime(ret.filed.filed_at).replace(tzinfo=None)])
        cover.append(["Note", spreadsheet_safe(ret.filed.note)])
    for key in SECTIONS:
        title, headings, rows = ret.section(key)
        xlsx_sheet(book, title, headings, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_stem(ret).lower()}.xlsx"'
    return response
