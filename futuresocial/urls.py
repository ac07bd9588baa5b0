from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("futuresocial.api.urls")),
    path("", include("placements.urls")),
    path("", include("compliance.urls")),
    path("", include("accounts.urls")),
]
