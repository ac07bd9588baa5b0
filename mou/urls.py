from django.urls import path

from mou import views

app_name = "mou"

urlpatterns = [
    path("mou-versions/", views.version_list, name="versions"),
    path("mou-versions/<int:pk>/what-if/", views.version_what_if, name="what-if"),
]
