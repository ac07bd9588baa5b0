"""What each user may see: the one place that restricts a queryset to the caller's agency or authority.

Every model a user can reach declares `scope = {"agency": ..., "authority": ...}`: for each kind of tenant, the
lookup path from the model to that tenant's id, or `ALL` when every tenant of that kind may see every row (an
agency's standing is public to every council). A tenant kind missing from `scope` sees nothing of the model.
`"tenants_see"` optionally names a queryset method that narrows what every tenant sees further (a draft MoU version
is the coordinator's working copy: tenants see `published()` versions only). Coordinator and analysts see
everything. Views, API viewsets, exports and admin all call `visible_to()`.
"""

ALL = "__all__"


def visible_to(queryset, user):
    """`queryset` restricted to the rows `user` may see (none for anonymous or unknown roles)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_regional:
        return queryset
    scope = getattr(queryset.model, "scope", {})
    if user.is_agency:
        tenant_kind, tenant_id = "agency", user.agency_id
    elif user.is_council:
        tenant_kind, tenant_id = "authority", user.authority_id
    else:
        return queryset.none()
    path = scope.get(tenant_kind)
    if path is None or tenant_id is None:
        return queryset.none()
    if scope.get("tenants_see"):
        queryset = getattr(queryset, scope["tenants_see"])()
    if path == ALL:
        return queryset
    if _crosses_many(queryset.model, path):
        # A path through a reverse or many-to-many relation would repeat rows; filter on ids instead.
        ids = queryset.model._default_manager.filter(**{path: tenant_id}).values("pk")
        return queryset.filter(pk__in=ids)
    return queryset.filter(**{path: tenant_id})


def _crosses_many(model, path):
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


def can_see(user, obj) -> bool:
    """Whether `user` may see one object (for views that already hold it)."""
    return visible_to(type(obj)._default_manager.filter(pk=obj.pk), user).exists()
