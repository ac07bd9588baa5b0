from django.urls import path

from workforce import views

app_name = "workforce"

urlpatterns = [
    path("workforce/returns/", views.return_list, name="returns"),
    path("workforce/returns/new/", views.return_new, name="return-new"),
    path("workforce/returns/<int:pk>/edit/", views.return_edit, name="return-edit"),
    path("workforce/returns/upload/", views.return_upload, name="return-upload"),
    path("workforce/returns/upload/template.csv", views.return_upload_template, name="return-upload-template"),
    path("dashboards/workforce/", views.trends, name="trends"),
    path("dashboards/workforce/<str:code>/", views.trends, name="trends-authority"),
]
