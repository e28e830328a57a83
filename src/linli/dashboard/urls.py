from django.urls import path

from linli.dashboard.views import kpis, live

app_name = "dashboard"

urlpatterns: list = [
    path("dashboard/", kpis.kpi_page, name="kpis"),
    path("dashboard/export.csv", kpis.export_csv, name="export_csv"),
    path("dashboard/export.xlsx", kpis.export_xlsx, name="export_xlsx"),
    path("dashboard/cases/<int:case_id>/escalate/", kpis.case_escalate, name="case_escalate"),
    path("dashboard/live/", live.live, name="live"),
    path("dashboard/screen/", live.screen, name="screen"),
]
