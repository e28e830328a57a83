from django.urls import include, path

app_name = "meals"

urlpatterns = [
    path("", include("linli.meals.views.resident")),
    path("", include("linli.meals.views.menus")),
    path("", include("linli.meals.views.kitchen_settings")),
    path("", include("linli.meals.views.kitchen")),
    path("", include("linli.meals.views.rider")),
    path("", include("linli.meals.views.quality")),
    path("", include("linli.meals.views.staff")),
    path("", include("linli.meals.views.counter")),
]
