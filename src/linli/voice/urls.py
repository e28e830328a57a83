from django.urls import include, path

app_name = "voice"

urlpatterns = [
    path("", include("linli.voice.views.resident")),
    path("", include("linli.voice.views.staff")),
    path("", include("linli.voice.views.consult")),
    path("", include("linli.voice.views.editor")),
]
