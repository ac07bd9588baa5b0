from django.urls import path

from compliance import views, views_breaches, views_corrective, views_queries

app_name = "compliance"

urlpatterns = [
    # The query log (compliance/views_queries.py)
    path("queries/", views_queries.query_list, name="queries"),
    path("queries/new/", views_queries.query_new, name="query-new"),
    path("queries/ask/", views_queries.query_ask_page, name="query-ask"),
    path("queries/<int:pk>/", views_queries.query_detail, name="query-detail"),
    path("queries/<int:pk>/answer/", views_queries.query_answer_view, name="query-answer"),
    # Breach queue, case pages and manual reports (compliance/views_breaches.py)
    path("breaches/", views_breaches.breach_queue, name="breaches"),
    path("breaches/bulk/", views_breaches.breach_bulk, name="breach-bulk"),
    path("breaches/report/", views_breaches.breach_report, name="breach-report"),
    path("breaches/<int:pk>/", views_breaches.breach_detail, name="breach-detail"),
    path("breaches/<int:pk>/status/", views_breaches.breach_status, name="breach-status"),
    path("breaches/<int:pk>/assign/", views_breaches.breach_assign, name="breach-assign"),
    path("breaches/<int:pk>/severity/", views_breaches.breach_severity, name="breach-severity"),
    path("breaches/<int:pk>/notes/", views_breaches.breach_note, name="breach-note"),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/start/", views.audit_start, name="audit-start"),
    path("audit/<int:pk>/", views.audit_detail, name="audit-detail"),
    path("audit/<int:pk>/progress.json", views.audit_progress, name="audit-progress"),
    # Corrective actions (compliance/views_corrective.py)
    path("corrective-actions/", views_corrective.corrective_action_list, name="corrective-actions"),
    path("corrective-actions/new/", views_corrective.corrective_action_new, name="corrective-action-new"),
    path("corrective-actions/<int:pk>/", views_corrective.corrective_action_detail, name="corrective-action"),
    path("corrective-actions/<int:pk>/edit/", views_corrective.corrective_action_edit, name="corrective-action-edit"),
    path(
        "corrective-actions/<int:pk>/issue/",
        views_corrective.corrective_action_issue_view,
        name="corrective-action-issue",
    ),
    path(
        "corrective-actions/<int:pk>/items/<int:item_pk>/done/",
        views_corrective.corrective_action_item_done_view,
        name="corrective-action-item-done",
    ),
    path(
        "corrective-actions/<int:pk>/complete/",
        views_corrective.corrective_action_complete_view,
        name="corrective-action-complete",
    ),
    path(
        "corrective-actions/<int:pk>/sign/", views_corrective.corrective_action_sign_view, name="corrective-action-sign"
    ),
    path(
        "corrective-actions/<int:pk>/agreement/",
        views_corrective.corrective_action_agreement,
        name="corrective-action-agreement",
    ),
]
