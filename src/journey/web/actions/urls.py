from django.urls import path

from journey.web.actions import views

app_name = "actions"

urlpatterns = [
    path("", views.action_list, name="list"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/update/", views.update, name="update"),
]
