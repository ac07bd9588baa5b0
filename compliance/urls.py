from django.urls import path

from compliance.views import audit, breaches, corrective_actions, questions, suspensions

app_name = "compliance"

urlpatterns = [
    # Suspending an agency (compliance/views/suspensions.py); its other pages are the agencies app's
    path("agencies/<int:pk>/suspend/", suspensions.agency_suspend_page, name="agency-suspend"),
    # The query log (compliance/views/questions.py)
    path("queries/", questions.query_list, name="queries"),
    path("queries/new/", questions.query_new, name="query-new"),
    path("queries/ask/", questions.query_ask_page, name="query-ask"),
    path("queries/<int:pk>/", questions.query_detail, name="query-detail"),
    path("queries/<int:pk>/answer/", questions.query_answer_view, name="query-answer"),
    # Breach queue, case pages and manual reports (compliance/views/breaches.py)
    path("breaches/", breaches.breach_queue, name="breaches"),
    path("breaches/bulk/", breaches.breach_bulk, name="breach-bulk"),
    path("breaches/report/", breaches.breach_report, name="breach-report"),
    path("breaches/<int:pk>/", breaches.breach_detail, name="breach-detail"),
    path("breaches/<int:pk>/status/", breaches.breach_status, name="breach-status"),
    path("breaches/<int:pk>/assign/", breaches.breach_assign, name="breach-assign"),
    path("breaches/<int:pk>/severity/", breaches.breach_severity, name="breach-severity"),
    path("breaches/<int:pk>/notes/", breaches.breach_note, name="breach-note"),
    path("audit/", audit.audit_list, name="audit-list"),
    path("audit/start/", audit.audit_start, name="audit-start"),
    path("audit/<int:pk>/", audit.audit_detail, name="audit-detail"),
    path("audit/<int:pk>/progress.json", audit.audit_progress, name="audit-progress"),
    # Corrective actions (compliance/views/corrective_actions.py)
    path("corrective-actions/", corrective_actions.corrective_action_list, name="corrective-actions"),
    path("corrective-actions/new/", corrective_actions.corrective_action_new, name="corrective-action-new"),
    path("corrective-actions/<int:pk>/", corrective_actions.corrective_action_detail, name="corrective-action"),
    path("corrective-actions/<int:pk>/edit/", corrective_actions.corrective_action_edit, name="corrective-action-edit"),
    path(
        "corrective-actions/<int:pk>/issue/",
        corrective_actions.corrective_action_issue_view,
        name="corrective-action-issue",
    ),
    path(
        "corrective-actions/<int:pk>/items/<int:item_pk>/done/",
        corrective_actions.corrective_action_item_done_view,
        name="corrective-action-item-done",
    ),
    path(
        "corrective-actions/<int:pk>/complete/",
        corrective_actions.corrective_action_complete_view,
        name="corrective-action-complete",
    ),
    path(
        "corrective-actions/<int:pk>/sign/",
        corrective_actions.corrective_action_sign_view,
        name="corrective-action-sign",
    ),
    path(
        "corrective-actions/<int:pk>/agreement/",
        corrective_actions.corrective_action_agreement,
        name="corrective-action-agreement",
    ),
]
