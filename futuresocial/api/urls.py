from django.urls import include, path

from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from agencies.api import AgencyViewSet
from compliance.api.audit import AuditRunViewSet
from compliance.api.breaches import BreachViewSet
from compliance.api.corrective_actions import CorrectiveActionViewSet
from compliance.api.suspensions import SuspensionViewSet
from dashboards.api import CostBenefitView
from dfe.api import DfeReturnFiledView, DfeReturnFileView, DfeReturnView
from futuresocial.api.views import TokenView
from futuresocial.security import api_docs, login_throttled
from mou.api import CapCheckView, MouVersionViewSet, RoleViewSet
from placements.api import (
    CapExceptionViewSet,
    PermanentLeaverViewSet,
    PlacementViewSet,
    ProjectTeamViewSet,
    TimesheetViewSet,
)
from workforce.api import AuthorityViewSet, WorkforceReturnViewSet, WorkforceStatsView

router = DefaultRouter()
router.register("authorities", AuthorityViewSet)
router.register("roles", RoleViewSet)
router.register("agencies", AgencyViewSet)
router.register("mou-versions", MouVersionViewSet)
router.register("placements", PlacementViewSet)
router.register("permanent-leavers", PermanentLeaverViewSet)
router.register("cap-exceptions", CapExceptionViewSet)
router.register("project-teams", ProjectTeamViewSet)
router.register("timesheets", TimesheetViewSet)
router.register("audit-runs", AuditRunViewSet)
router.register("breaches", BreachViewSet)
router.register("corrective-actions", CorrectiveActionViewSet)
router.register("suspensions", SuspensionViewSet)
router.register("workforce-returns", WorkforceReturnViewSet)

urlpatterns = [
    path("auth/token/", login_throttled(TokenView.as_view()), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs, name="api-docs"),
    path("cap-check/", CapCheckView.as_view(), name="api-cap-check"),
    path("stats/workforce/", WorkforceStatsView.as_view(), name="api-stats-workforce"),
    path("stats/cost-benefit/", CostBenefitView.as_view(), name="api-stats-cost-benefit"),
    path("dfe-returns/", DfeReturnView.as_view(), name="api-dfe-returns"),
    path("dfe-returns/file/", DfeReturnFileView.as_view(), name="api-dfe-returns-file"),
    path("dfe-returns/filed/", DfeReturnFiledView.as_view(), name="api-dfe-returns-filed"),
    path("", include(router.urls)),
]
