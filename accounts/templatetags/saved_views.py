"""`{% saved_views "compliance:breaches" %}`: a person's saved views of a list page, and the form that saves the
filters shown."""

from django import template

from accounts.models import SavedView
from accounts.saved_views import clean_query

register = template.Library()


@register.inclusion_tag("includes/_saved_views.html", takes_context=True)
def saved_views(context, list_name):
    request = context["request"]
    query = clean_query(request.GET.urlencode())
    user = request.user
    views = list(SavedView.objects.filter(user=user, list_name=list_name)) if user.is_authenticated else []
    return {
        "views": views,
        "list_name": list_name,
        "list_label": SavedView.LISTS[list_name],
        "query": query,
        "current": next((v for v in views if v.query == query), None),
        "csrf_token": context.get("csrf_token"),
    }
