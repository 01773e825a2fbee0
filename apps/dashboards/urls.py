from django.urls import path

from . import bottleneck, views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard_all, name="all"),
    path("cases/", views.case_list, name="cases"),
    path("charts.css", views.chart_css, name="charts-css"),
    path("<slug:panel>.csv", views.panel_csv, name="panel-csv"),
    path("<slug:workflow>/", views.dashboard_workflow, name="workflow"),
    # Before "<workflow>/<panel>.csv": the bottleneck view is not one of the dashboard's panels.
    path("<slug:workflow>/bottlenecks/", bottleneck.bottleneck_page, name="bottlenecks"),
    path("<slug:workflow>/bottlenecks/cases/", bottleneck.bottleneck_cases, name="bottleneck-cases"),
    path("<slug:workflow>/bottlenecks.csv", bottleneck.bottleneck_csv, name="bottleneck-csv"),
    path("<slug:workflow>/<slug:panel>.csv", views.panel_csv, name="workflow-panel-csv"),
]
