from django.urls import include, path

app_name = "access"

urlpatterns = [
    path("", include("linli.access.views.rider")),
    path("", include("linli.access.views.manage")),
]
