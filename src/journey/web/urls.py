"""URL map: each app owns its own prefix."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("journey.web.accounts.urls")),
    path("narrative/", include("journey.web.narrative.urls")),
    path("actions/", include("journey.web.actions.urls")),
    path("reports/", include("journey.web.reports.urls")),
    path("report-text/", include("journey.web.reporttext.urls")),
    path("data/", include("journey.web.casedata.urls")),
    path("background/", include("journey.web.background.urls")),
    path("", include("journey.web.plans.urls")),
]
