from django.urls import include, path

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from agencies.api import AgencyViewSet
from mou.api import MouVersionViewSet, RoleViewSet
from workforce.api import AuthorityViewSet

router = DefaultRouter()
router.register("authorities", AuthorityViewSet)
router.register("roles", RoleViewSet)
router.register("agencies", AgencyViewSet)
router.register("mou-versions", MouVersionViewSet)

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
