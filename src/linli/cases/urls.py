from django.urls import include, path

app_name = "cases"

urlpatterns = [
    path("", include("linli.cases.views.reporter")),
    path("", include("linli.cases.views.console")),
]
