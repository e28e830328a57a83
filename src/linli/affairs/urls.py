from django.urls import path

from linli.affairs.views import catalogue, resident, staff

app_name = "affairs"

urlpatterns = [
    # residents
    path("s/<slug:code>/affairs/", catalogue.street_affairs, name="street_list"),
    path("affairs/items/<int:item_id>/", catalogue.item_detail, name="item_detail"),
    path("affairs/items/<int:item_id>/prereview/", resident.prereview_new, name="prereview_new"),
    path("affairs/items/<int:item_id>/book/", resident.book, name="book"),
    path("affairs/files/<int:file_id>/", resident.prereview_file, name="prereview_file"),
    path("me/affairs/", resident.my_affairs, name="my_affairs"),
    path("me/affairs/prereviews/<int:prereview_id>/", resident.my_prereview, name="my_prereview"),
    path("me/affairs/appointments/<int:appointment_id>/", resident.my_appointment, name="my_appointment"),
    path("me/affairs/appointments/<int:appointment_id>.ics", resident.my_appointment_ics, name="my_appointment_ics"),
    # staff
    path("staff/affairs/", staff.staff_catalogue, name="staff_catalogue"),
    path("staff/affairs/items/new/", staff.staff_item_edit, name="staff_item_new"),
    path("staff/affairs/items/<int:item_id>/", staff.staff_item_edit, name="staff_item_edit"),
    path("staff/affairs/prereviews/", staff.staff_prereviews, name="staff_prereviews"),
    path("staff/affairs/prereviews/<int:prereview_id>/", staff.staff_prereview, name="staff_prereview"),
    path("staff/affairs/templates/", staff.staff_templates, name="staff_templates"),
    path("staff/affairs/book/", staff.staff_book, name="staff_book"),
]

from linli.affairs.urls_desk import urlpatterns as desk_urlpatterns  # noqa: E402 - the queue, remote windows, metrics

urlpatterns += desk_urlpatterns
