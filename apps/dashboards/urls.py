from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard_all, name="all"),
    path("cases/", views.case_list, name="cases"),
    path("charts.css", views.chart_css, name="charts-css"),
    path("<slug:panel>.csv", views.panel_csv, name="panel-csv"),
    path("<slug:workflow>/", views.dashboard_workflow, name="workflow"),
    path("<slug:workflow>/<slug:panel>.csv", views.panel_csv, name="workflow-panel-csv"),
]
