from django.urls import path

from dfe import views

app_name = "dfe"

urlpatterns = [
    path("dfe-returns/", views.return_page, name="return"),
    path("dfe-returns/file/", views.file_page, name="file"),
]
