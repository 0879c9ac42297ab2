from django.urls import path

from journey.web.reporttext import views

app_name = "reporttext"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:kind>/<str:period>/", views.sections, name="sections"),
    path("<str:kind>/<str:period>/<str:section>/", views.edit, name="edit"),
]
