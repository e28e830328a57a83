from django.urls import path

from linli.affairs import views

app_name = "affairs"

urlpatterns = [
    path("s/<slug:code>/affairs/", views.street_affairs, name="street_list"),
]
