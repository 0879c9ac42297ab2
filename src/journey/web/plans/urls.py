from django.urls import path

from journey.web.plans import views

app_name = "plans"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("measures/<slug:measure_id>/", views.measure, name="measure"),
    path("measures/<slug:measure_id>/chart.svg", views.measure_chart, name="measure_chart"),
    path("measures/<slug:measure_id>/children/", views.child_list, name="child_list"),
    path("measures/<slug:measure_id>/figures/", views.manual_entry, name="manual_entry"),
    path("plan/", views.plan, name="plan"),
    path("plan/upload/", views.plan_upload, name="plan_upload"),
    path("plan/edit/", views.plan_edit, name="plan_edit"),
    path("plan/owners/", views.plan_owners, name="plan_owners"),
    path("plan/versions/<int:pk>/", views.plan_version, name="plan_version"),
]
