from django.urls import include, path

app_name = "care"

urlpatterns = [
    path("", include("linli.care.views.resident")),
    path("", include("linli.care.views.family")),
    path("", include("linli.care.views.staff")),
]
