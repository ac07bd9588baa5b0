from django.db import IntegrityError
from django.http import JsonResponse
from django.views.defaults import page_not_found

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ErrorDetail, NotAuthenticated, Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from futuresocial.api.authentication import token_for
from futuresocial.api.permissions import WriteRoles
from futuresocial.api.serializers import integrity_error_detail, refuse_read_only_fields, service_errors
from futuresocial.api.throttling import TokenRateThrottle
from futuresocial.scoping import visible_to


class BaseViewSet(viewsets.GenericViewSet):
    """The base of every API viewset (NetBox's `BaseViewSet`): the queryset is restricted to the caller's scope here,
    so an object outside it is a 404 and no viewset can forget it (tests/api/test_api_conventions.py checks that the
    router's viewsets all inherit it). A viewset adds DRF's mixins for what it answers.

    Writes name what they refuse: a body naming a field of the resource that the write cannot change (`standing`,
    a breach's `description`) is a 400 naming it, before anything runs, rather than a 200 that ignored it.
    `body_serializers` maps an action to the serializer its body is validated with, where that is not
    `serializer_class` (None: the action takes no body).
    """

    body_serializers = {}
    WRITE_ACTIONS = ("create", "update", "partial_update")

    def get_queryset(self):
        return visible_to(super().get_queryset(), self.request.user)

    def body_serializer_class(self):
        if self.action in self.body_serializers:
            return self.body_serializers[self.action]
        return self.get_serializer_class() if self.action in self.WRITE_ACTIONS else None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        body = self.body_serializer_class()
        if body is not None and hasattr(request.data, "keys"):
            refuse_read_only_fields(request.data, body=body(), resource=self.get_serializer_class()())


class ServiceCreateViewSet(BaseViewSet, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """List, read and create through a service; who may create is `write_roles` (futuresocial.api.permissions).

    The service gets the validated data as keyword arguments and `by`; a `worker_swe_number`/`worker_qualified_on`
    pair (read from the worker, written as the service's `worker_*` arguments) is flattened on the way.
    """

    permission_classes = [WriteRoles]
    service = None  # staticmethod(the service that writes), called with the validated data and `by`
    service_field_names = {}  # model field names in the service's errors -> the API's names

    def perform_create(self, serializer):
        data = serializer.validated_data
        worker = data.pop("worker", None)
        if worker is not None:
            data.update({f"worker_{name}": value for name, value in worker.items()})
        with service_errors(self.service_field_names):
            serializer.instance = self.service(**data, by=self.request.user)


def exception_handler(exc, context):
    """DRF's handler, with a 429 that says which limit was reached (it keeps DRF's `Retry-After` header), and the
    database's refusal of a write (a unique constraint two concurrent requests both passed the checks of) as a 400
    naming the fields, never a 500. DRF's handler marks the request's transaction for rollback."""
    if isinstance(exc, IntegrityError):
        exc = ValidationError(integrity_error_detail(exc))
    if isinstance(exc, Throttled):
        throttle = getattr(context["request"], "throttled_by", None)
        limit = f"{throttle.describe()}; " if throttle is not None else ""
        wait = f" in {int(exc.wait + 0.999)} seconds" if exc.wait is not None else " later"
        exc.detail = ErrorDetail(f"Too many requests: {limit}try again{wait}.", code="throttled")
    return drf_exception_handler(exc, context)


class TokenView(ObtainAuthToken):
    """`POST` a username and password for your API token; `DELETE` (sending the token) revokes it."""

    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        operation_id="auth_token_obtain",
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField(help_text="Send as `Token <token>`")}),
        },
        auth=[],
        description="Your API token (the same one until you revoke it, change your password, or leave it unused for "
        "`API_TOKEN_MAX_AGE_DAYS`, 30 by default: each use renews it). A wrong username or password is a 400.",
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A token that has expired or predates a password change is replaced, never handed out again.
        return Response({"token": token_for(serializer.validated_data["user"]).key})

    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={204: OpenApiResponse(description="Revoked: the token no longer works. Ask for a new one.")},
        description="Revoke the token this request is made with: any program still using it gets 401 from now on.",
    )
    def delete(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        tokens = Token.objects.filter(user=request.user)
        if isinstance(request.auth, Token):
            tokens = tokens.filter(pk=request.auth.pk)
        tokens.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def not_found(request, exception):
    """handler404: under /api/ a JSON 404 like every other API error (a path no route matches, e.g.
    `placements/0.5/`); elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
