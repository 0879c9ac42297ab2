from django.urls import path

from journey.web.background import views

app_name = "background"

urlpatterns = [
    path("", views.index, name="index"),
]
