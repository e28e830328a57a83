from django.urls import path

from linli.volunteers.views import courses, menu, staff, volunteer

app_name = "volunteers"

urlpatterns = [
    path("volunteer/", volunteer.home, name="home"),
    path("volunteer/checkin/", volunteer.checkin, name="checkin"),
    path("volunteer/confirm/<str:token>/", volunteer.confirm, name="confirm"),
    path("volunteer/time-bank/", volunteer.time_bank, name="time_bank"),
    path("volunteer/statement/", volunteer.statement, name="statement"),
    path("volunteer/statement.pdf", volunteer.statement_pdf, name="statement_pdf"),
    path("volunteer/courses/", courses.teacher, name="courses"),
    path("volunteer/certificate.pdf", volunteer.certificate_pdf, name="certificate"),
    path("volunteer/certificates/<str:token>/", volunteer.certificate_check, name="certificate_check"),
    path("volunteer/menu/", menu.claims_page, name="claims"),
    path("volunteer/menu/photos/<int:photo_id>/", menu.claim_photo, name="claim_photo"),
    path("volunteer/rate/<str:token>/", menu.rate, name="rate"),
    path("staff/volunteers/", staff.planner, name="planner"),
    path("staff/volunteers/people/", staff.people, name="people"),
    path("staff/volunteers/courses/", courses.review, name="courses_review"),
    path("staff/volunteers/menu/", menu.staff_menu, name="staff_menu"),
    path("staff/volunteers/stations/<int:station_id>/screen/", staff.screen, name="screen"),
    path("staff/volunteers/stations/<int:station_id>/code.json", staff.screen_code, name="screen_code"),
    path("staff/volunteers/stats/", staff.stats, name="stats"),
    path("staff/volunteers/stats.csv", staff.stats_csv, name="stats_csv"),
]
