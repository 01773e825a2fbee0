from django.urls import path

from . import governance_views, migration_views, schedule_views, views

app_name = "builder"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.definition_new, name="new"),
    path("import/", views.import_view, name="import"),
    path("tasks/<id:task_id>/feedback/", governance_views.feedback_give, name="feedback"),
    path("<slug:key>/", views.definition_detail, name="definition"),
    path("<slug:key>/draft/", views.draft_edit, name="draft"),
    path("<slug:key>/draft/rows/<slug:section>/", views.row, name="row"),
    path("<slug:key>/draft/rows/<slug:section>/remove/", views.row_remove, name="row-remove"),
    path("<slug:key>/draft/rows/<slug:section>/move/", views.row_move, name="row-move"),
    path("<slug:key>/draft/rule/", views.rule_set, name="rule"),
    path("<slug:key>/draft/settings/", views.settings_set, name="settings"),
    path("<slug:key>/draft/texts/", views.texts_set, name="texts"),
    path("<slug:key>/draft/publish/", views.publish, name="publish"),
    path("<slug:key>/tester/", views.tester, name="tester"),
    path("<slug:key>/impact/", views.impact, name="impact"),
    path("<slug:key>/diff/", views.diff, name="diff"),
    path("<slug:key>/export/", views.export, name="export"),
    path("<slug:key>/migrate/", migration_views.migrate, name="migrate"),
    path("<slug:key>/migrate/upload/", migration_views.migrate_upload, name="migrate-upload"),
    path("<slug:key>/migrate/run/", migration_views.migrate_run, name="migrate-run"),
    path("<slug:key>/migrate/export.<slug:fmt>", migration_views.migrate_export, name="migrate-export"),
    path("<slug:key>/change-control/", governance_views.governance_set, name="governance"),
    path("<slug:key>/owners/", governance_views.owner_add, name="owner-add"),
    path("<slug:key>/owners/remove/", governance_views.owner_remove, name="owner-remove"),
    path("<slug:key>/reviewed/", governance_views.review_done, name="reviewed"),
    path("<slug:key>/backlog/", governance_views.backlog, name="backlog"),
    path("<slug:key>/schedules/", schedule_views.schedules, name="schedules"),
    path("<slug:key>/schedules/save/", schedule_views.schedule_save, name="schedule-save"),
    path("<slug:key>/schedules/<id:schedule_id>/toggle/", schedule_views.schedule_toggle, name="schedule-toggle"),
    path("<slug:key>/backlog/<id:feedback_id>/done/", governance_views.feedback_mark_done, name="feedback-done"),
    path("<slug:key>/versions/<id:number>/new-draft/", views.draft_from_version, name="new-draft"),
    path("<slug:key>/versions/<str:ref>/", views.version_detail, name="version"),
    path("<slug:key>/versions/<str:ref>/bpmn/", views.version_bpmn, name="bpmn"),
    path("<slug:key>/versions/<str:ref>/sop/", views.version_sop, name="sop"),
    path("<slug:key>/versions/<str:ref>/sop.md", views.version_sop_markdown, name="sop-md"),
]
