from rest_framework import viewsets

from futuresocial.scoping import visible_to


class ScopedViewSetMixin:
    """Every API viewset restricts its queryset to the caller's scope here, so an object outside it is a 404."""

    def get_queryset(self):
        return visible_to(super().get_queryset(), self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
