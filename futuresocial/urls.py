from django.contrib import admin
from django.urls import include, path

from futuresocial import history

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("futuresocial.api.urls")),
    path("", include("placements.urls")),
    path("", include("compliance.urls")),
    path("", include("agencies.urls")),
    path("", include("dashboards.urls")),
    path("", include("workforce.urls")),
    path("", include("mou.urls")),
    path("", include("dfe.urls")),
    # History pages of the records SPEC §3 lists (futuresocial/history.py)
    path("history/<str:app_label>/<str:model_name>/<int:pk>/", history.object_history, name="history"),
    path("", include("accounts.urls")),
    path("", include("home.urls")),
]

# Under /api/ a 404 is JSON like the API's other errors (futuresocial/api/views.py).
handler404 = "futuresocial.api.views.not_found"
