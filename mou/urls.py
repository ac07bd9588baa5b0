from django.urls import path

from mou import views

app_name = "mou"

urlpatterns = [
    path("mou-versions/", views.version_list, name="versions"),
    path("mou-versions/new/", views.version_new, name="new"),
    path("mou-versions/new-from-current/", views.version_from_current, name="new-from-current"),
    path("mou-versions/<int:pk>/edit/", views.version_edit, name="edit"),
    path("mou-versions/<int:pk>/adopt/", views.version_adopt, name="adopt"),
    path("mou-versions/<int:pk>/discard/", views.version_discard, name="discard"),
    path("mou-versions/<int:pk>/what-if/", views.version_what_if, name="what-if"),
]
