from django.urls import include, path

app_name = "jobs"

urlpatterns = [
    path("", include("linli.jobs.views.public")),
    path("", include("linli.jobs.views.staff")),
    path("", include("linli.jobs.views.courses")),
    path("", include("linli.jobs.views.fairs")),
]
