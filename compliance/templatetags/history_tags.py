"""`{{ obj|history_url }}`: the history page of a record SPEC §3 lists (empty for any other), for templates that
link to it, e.g. `{% include "history/_link.html" with object=placement %}`."""

from django import template

from futuresocial import history

register = template.Library()


@register.filter
def history_url(obj) -> str:
    return history.history_url(obj) or ""
