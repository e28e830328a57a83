"""URL patterns of the window queue, the remote windows and the centre head's metrics (added to affairs.urls)."""

from django.urls import path

from linli.affairs.views import metrics, remote, window

urlpatterns = [
    # the window queue
    path("staff/affairs/centres/<int:place_id>/kiosk/", window.kiosk, name="kiosk"),
    path("staff/affairs/centres/<int:place_id>/kiosk/<str:token>/", window.kiosk_ticket, name="kiosk_ticket"),
    path("staff/affairs/window/", window.window, name="window"),
    path("staff/affairs/window/<int:counter_id>/", window.window_action, name="window_action"),
    path("affairs/centres/<int:place_id>/hall/", window.hall, name="hall"),
    path("affairs/centres/<int:place_id>/ticket/", window.take_ticket, name="take_ticket"),
    path("affairs/t/<str:token>/", window.ticket_page, name="ticket"),
    # remote video windows
    path("staff/affairs/remote/", remote.console, name="remote_console"),
    path("staff/affairs/remote/sessions/<int:session_id>/", remote.call, name="remote_call"),
    path("staff/affairs/remote/sessions/<int:session_id>/answer/", remote.answer, name="remote_answer"),
    path("staff/affairs/remote/sessions/<int:session_id>/end/", remote.end, name="remote_end"),
    path("staff/affairs/remote/sessions/<int:session_id>/recording/", remote.recording, name="remote_recording"),
    # the centre head: metrics, skills
    path("staff/affairs/metrics/", metrics.metrics_page, name="metrics"),
    path("staff/affairs/metrics.csv", metrics.metrics_csv, name="metrics_csv"),
    path("staff/affairs/skills/", metrics.skills_page, name="skills"),
]
