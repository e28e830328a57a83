from django.urls import path

from linli.core import views

app_name = "core"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("me/", views.me_view, name="me"),
    path("elder/", views.elder_toggle_view, name="elder"),
]
