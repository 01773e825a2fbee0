from django.contrib.auth import views as auth_views
from django.urls import path

from . import audit_views, procedure, views

app_name = "inbox"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("requests/", views.my_request_list, name="my-requests"),
    path("requests/new/", views.request_list, name="request-list"),
    path("requests/new/<slug:key>/", views.request_start, name="request-start"),
    path("workflows/<slug:key>/v<id:number>/sop/", procedure.workflow_sop, name="sop"),
    path("workflows/<slug:key>/v<id:number>/sop.md", procedure.workflow_sop_markdown, name="sop-md"),
    path("inbox/", views.inbox, name="inbox"),
    path("tasks/<id:task_id>/", views.task_detail, name="task"),
    path("tasks/<id:task_id>/decide/", views.task_decide, name="task-decide"),
    path("tasks/<id:task_id>/claim/", views.task_claim, name="task-claim"),
    path("tasks/<id:task_id>/release/", views.task_release, name="task-release"),
    path("tasks/<id:task_id>/reassign/", views.task_reassign, name="task-reassign"),
    path("cases/<id:case_id>/", views.case_detail, name="case"),
    path("cases/<id:case_id>/withdraw/", views.case_withdraw, name="case-withdraw"),
    path("cases/<id:case_id>/comments/", views.case_comment, name="case-comment"),
    path("cases/<id:case_id>/attachments/", views.case_attach, name="case-attach"),
    path("cases/<id:case_id>/history/", views.case_field_history, name="case-history"),
    path("attachments/<id:attachment_id>/", views.attachment_download, name="attachment"),
    path("audit/cases/", views.audit_case_search, name="audit-search"),
    path("audit/cases/export.csv", views.audit_case_export, {"fmt": "csv"}, name="audit-export-csv"),
    path("audit/cases/export.xlsx", views.audit_case_export, {"fmt": "xlsx"}, name="audit-export-xlsx"),
    path("audit/events/", audit_views.audit_events, name="audit-events"),
    path("audit/events/export.csv", audit_views.audit_events_export, name="audit-events-export"),
    path("audit/access/", audit_views.access_review, name="audit-access"),
    path("away/", views.away, name="away"),
    path("away/handover/", views.away_handover, name="away-handover"),
]
