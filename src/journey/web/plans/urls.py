from django.urls import path

from journey.web.plans import views

app_name = "plans"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
