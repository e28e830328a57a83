from django.urls import path

from linli.volunteers.views import menu, staff, volunteer

app_name = "volunteers"

urlpatterns = [
    path("volunteer/", volunteer.home, name="home"),
    path("volunteer/checkin/", volunteer.checkin, name="checkin"),
    path("volunteer/certificate.pdf", volunteer.certificate_pdf, name="certificate"),
    path("volunteer/certificates/<str:token>/", volunteer.certificate_check, name="certificate_check"),
    path("volunteer/menu/", menu.claims_page, name="claims"),
    path("staff/volunteers/", staff.planner, name="planner"),
    path("staff/volunteers/menu/", menu.staff_menu, name="staff_menu"),
    path("staff/volunteers/stations/<int:station_id>/screen/", staff.screen, name="screen"),
    path("staff/volunteers/stations/<int:station_id>/code.json", staff.screen_code, name="screen_code"),
    path("staff/volunteers/stats/", staff.stats, name="stats"),
    path("staff/volunteers/stats.csv", staff.stats_csv, name="stats_csv"),
]
