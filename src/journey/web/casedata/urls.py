from django.urls import path

from journey.web.casedata import views

app_name = "casedata"

urlpatterns = [
    path("", views.loads, name="loads"),
    path("upload/", views.upload, name="upload"),
    path("observations/", views.import_observations, name="observations_import"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/status/", views.job_status, name="job_status"),
    path("jobs/<int:pk>/accept/", views.accept, name="accept"),
    path("jobs/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("snapshots/<str:sha256>/", views.snapshot, name="snapshot"),
    path("snapshots/<str:sha256>/activate/", views.activate, name="activate"),
]
