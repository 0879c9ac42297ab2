"""URL map: each app owns its own prefix."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("journey.web.accounts.urls")),
    path("", include("journey.web.plans.urls")),
]
