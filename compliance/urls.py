from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("breaches/", views.breach_list, name="breaches"),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/start/", views.audit_start, name="audit-start"),
    path("audit/<int:pk>/", views.audit_detail, name="audit-detail"),
    path("audit/<int:pk>/progress.json", views.audit_progress, name="audit-progress"),
]
