from django.urls import path

from dashboards import views, views_compliance, views_cost, views_cost_benefit, views_rates

app_name = "dashboards"

urlpatterns = [
    path("dashboards/", views.index, name="index"),
    path("dashboards/rates/", views_rates.rates, name="rates"),
    path("dashboards/compliance/", views_compliance.compliance, name="compliance"),
    path("dashboards/cost/", views_cost.cost, name="cost"),
    path("dashboards/cost-benefit/", views_cost_benefit.cost_benefit_page, name="cost-benefit"),
]
