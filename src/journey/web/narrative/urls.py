from django.urls import path

from journey.web.narrative import views

app_name = "narrative"

urlpatterns = [
    path("", views.index, name="index"),
    path("sign-off/", views.queue, name="queue"),
    path("<str:measure_id>/<str:month>/", views.edit, name="edit"),
    path("<str:measure_id>/<str:month>/review/", views.review, name="review"),
    path("<str:measure_id>/<str:month>/history/", views.history, name="history"),
    path("<str:measure_id>/<str:month>/confirm-figures/", views.confirm_figures, name="confirm_figures"),
]
