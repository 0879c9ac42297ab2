from django.urls import path

from journey.web.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("builds/<int:pk>/", views.status, name="status"),
    path("builds/<int:pk>/download/", views.download, name="download"),
    path("builds/<int:pk>/publish/", views.publish, name="publish"),
]
