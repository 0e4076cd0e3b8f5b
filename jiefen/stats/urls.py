from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="stats_home"),
    path("panel/<slug:name>/", views.panel, name="stats_panel"),
    path("panel/<slug:name>/xlsx/", views.panel_xlsx, name="stats_panel_xlsx"),
    path("refresh/", views.refresh_now, name="stats_refresh"),
    path("figures/", views.figure_dictionary, name="stats_figures"),
    path("reports/", views.report_list, name="stats_reports"),
    path("reports/generate/", views.report_generate, name="stats_report_generate"),
    path("reports/<int:report_id>/<slug:fmt>/", views.report_download, name="stats_report_download"),
    path("datacubes/", views.datacube_list, name="stats_datacubes"),
    path("datacubes/prepare/", views.datacube_prepare, name="stats_datacube_prepare"),
    path("datacubes/<int:datacube_id>/", views.datacube_detail, name="stats_datacube"),
    path("datacubes/<int:datacube_id>/<slug:action>/", views.datacube_act, name="stats_datacube_act"),
    # Public, no login: open data and its dictionary.
    path("p/open/", views.open_data_page, name="stats_open_data"),
    path("<slug:audience>/", views.dashboard, name="stats_dashboard"),
]
