from django.urls import include, path

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from agencies.api import AgencyViewSet, SuspensionViewSet
from compliance.api import AuditRunViewSet, BreachViewSet
from compliance.api_corrective import CorrectiveActionViewSet
from mou.api import CapCheckView, MouVersionViewSet, RoleViewSet
from placements.api import CapExceptionViewSet, PermanentLeaverViewSet, PlacementViewSet, TimesheetViewSet
from workforce.api import AuthorityViewSet

router = DefaultRouter()
router.register("authorities", AuthorityViewSet)
router.register("roles", RoleViewSet)
router.register("agencies", AgencyViewSet)
router.register("mou-versions", MouVersionViewSet)
router.register("placements", PlacementViewSet)
router.register("permanent-leavers", PermanentLeaverViewSet)
router.register("cap-exceptions", CapExceptionViewSet)
router.register("timesheets", TimesheetViewSet)
router.register("audit-runs", AuditRunViewSet)
router.register("breaches", BreachViewSet)
router.register("corrective-actions", CorrectiveActionViewSet)
router.register("suspensions", SuspensionViewSet)

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("cap-check/", CapCheckView.as_view(), name="api-cap-check"),
    path("", include(router.urls)),
]
