"""`{{ value|figure }}`: a table's value as people read it: a Decimal with thousands separators (5,722,549.11), a gap
as "—", anything else as it is. The one formatting of the data tables' cells (`futuresocial.exports.Table` uses the
same rule)."""

from django import template

from futuresocial.exports import shown

register = template.Library()


@register.filter
def figure(value):
    if value == "":
        return "—"
    return shown(value)
