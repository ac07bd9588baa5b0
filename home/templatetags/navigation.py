"""The site's navigation: a link that says when it is the current section (GOV.UK's current-page navigation)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, label, url_name, *args):
    """`<a>` to the named URL, with aria-current="page" when the page shown is that section's (its address starts
    with the link's; the home link only on the home page itself)."""
    url = reverse(url_name, args=args)
    request = context.get("request")
    path = request.path if request is not None else ""
    current = path == url if url == "/" else path.startswith(url)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)
