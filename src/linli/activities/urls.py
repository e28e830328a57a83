from django.urls import path

from linli.activities import views
from linli.activities.views import map_pieces

app_name = "activities"

urlpatterns = [
    path("s/<slug:code>/activities/", views.street_activities, name="street_list"),
    path("activities/<int:activity_id>/", views.activity_detail, name="detail"),
    path("me/bookings/", views.my_bookings, name="my_bookings"),
    path("me/bookings/<int:booking_id>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("staff/activities/", views.staff_activity_list, name="staff_list"),
    path("staff/activities/new/", views.staff_activity_new, name="staff_new"),
    path("staff/activities/<int:activity_id>/edit/", views.staff_activity_edit, name="staff_edit"),
    path("staff/activities/<int:activity_id>/publish/", views.staff_activity_publish, name="staff_publish"),
    path("staff/activities/<int:activity_id>/cancel/", views.staff_activity_cancel, name="staff_cancel"),
    path("staff/activities/<int:activity_id>/bookings/", views.staff_activity_bookings, name="staff_bookings"),
    path("staff/activities/<int:activity_id>/checkin/", views.staff_checkin, name="staff_checkin"),
    # fragments on the service map's pages (linli.places.hooks)
    path("activities/venue/<int:place_id>/", map_pieces.venue_activities, name="venue_activities"),
    path("s/<slug:code>/activities/map-link/", map_pieces.map_link, name="map_link"),
    path("s/<slug:code>/activities/map-badges/", map_pieces.map_badges, name="map_badges"),
]
