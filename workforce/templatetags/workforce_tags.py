from django import template

from workforce.selectors import trend_areas

register = template.Library()


@register.simple_tag
def workforce_trend_areas(user):
    """The authorities whose workforce trends page `user` may open (the dashboards list links each one)."""
    return trend_areas(user)
