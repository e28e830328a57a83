from django.urls import path

from linli.places import views

app_name = "places"

urlpatterns = [
    path("", views.home, name="home"),
    path("s/<slug:code>/", views.street_map, name="street_map"),
    path("places/<int:place_id>/", views.place_detail, name="detail"),
]
