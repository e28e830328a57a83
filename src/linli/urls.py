from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path

from linli.api import api, not_found

admin.site.site_header = "邻里 Linli 管理后台"
admin.site.site_title = "邻里 Linli"
handler404 = "linli.core.errors.not_found_view"  # problem+json under /api/, the 404 page elsewhere

urlpatterns: list = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),  # an unknown API path: problem+json 404, not the HTML page
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("linli.core.urls")),
    path("", include("linli.places.urls")),
    path("", include("linli.activities.urls")),
    path("", include("linli.meals.urls")),
    path("", include("linli.cases.urls")),
    path("", include("linli.access.urls")),
    path("", include("linli.assistant.urls")),
    path("", include("linli.affairs.urls")),
    path("", include("linli.care.urls")),
    path("", include("linli.jobs.urls")),
    path("", include("linli.voice.urls")),
    path("", include("linli.volunteers.urls")),
    path("", include("linli.dashboard.urls")),
    path("open311/v2/", include("linli.cases.open311")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
