from django.urls import path

from agencies import views

app_name = "agencies"

urlpatterns = [
    path("agencies/", views.agency_list, name="list"),
    path("agencies/<int:pk>/", views.agency_detail, name="detail"),
    path("agencies/<int:pk>/details/", views.agency_details_edit, name="details"),
    path("agencies/<int:pk>/remove/", views.agency_remove_page, name="remove"),
    path("suspensions/", views.suspension_list, name="suspensions"),
    path("suspensions/<int:pk>/", views.suspension_detail, name="suspension"),
    path("suspensions/<int:pk>/lift/", views.suspension_lift_page, name="lift"),
]
