from django.urls import path

from placements import views, views_councils, views_teams

app_name = "placements"

urlpatterns = [
    path("placements/", views.placement_list, name="list"),
    path("placements/new/", views.placement_new, name="new"),
    path("placements/new/check/", views.placement_check_live, name="check-live"),
    path("placements/<int:pk>/", views.placement_detail, name="detail"),
    path("placements/<int:pk>/references/new/", views.reference_new, name="reference-new"),
    path("project-teams/", views_teams.team_list, name="teams"),
    path("project-teams/new/", views_teams.team_new, name="team-new"),
    path("project-teams/<int:pk>/", views_teams.team_detail, name="team-detail"),
    path("placements/<int:pk>/timesheets/new/", views.timesheet_new, name="timesheet-new"),
    path("timesheets/upload/", views.timesheet_upload, name="upload"),
    path("timesheets/upload/template.csv", views.timesheet_upload_template, name="upload-template"),
    path("leavers/", views_councils.leaver_list, name="leavers"),
    path("leavers/new/", views_councils.leaver_new, name="leaver-new"),
    path("placements/<int:pk>/cap-exceptions/new/", views_councils.cap_exception_new, name="cap-exception-new"),
    path("cap-check/", views.cap_check_page, name="cap-check"),
    path("workers/qualification/", views.qualification_conflicts_page, name="qualification-conflicts"),
    path("workers/<int:pk>/verify-qualification/", views.qualification_verify, name="qualification-verify"),
]
