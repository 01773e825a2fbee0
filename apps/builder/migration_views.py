"""Migrating cases from a spreadsheet, for a workflow's owners (README "Migration from spreadsheets").

One page, three steps, each a fragment swapped in by htmx (and a whole page without it):
upload the file (kept in the media storage under a random name, remembered in the session),
map its columns onto the workflow's, preview the per-row report of a dry run, then import.
The same service as `manage.py import_cases` and POST /api/v1/cases/import/ does the work.
"""

import secrets

from django.contrib import messages
from django.core.files.storage import default_storage
from django.shortcuts import render
from django.views.decorators.http import require_POST

from apps.cases.importing import SYSTEM_COLUMNS, cases_import, import_columns, import_version
from apps.core.errors import ValidationFailed
from apps.core.sheets import sheet_format, sheet_headers, sheet_rows
from apps.portal.downloads import cases_export_download

from .views import builder_page

SESSION_KEY = "case_migrations"
MSG_CHOOSE_FILE = "Choose the spreadsheet to import (.csv or .xlsx)."
MSG_UPLOAD_GONE = "That upload is no longer here (imported, or the session ended): upload the file again."
MSG_PREVIEWED = (
    "Dry run: {created} would be created, {skipped} skipped (already here), {errors} with errors. Nothing was written."
)
MSG_IMPORTED = "Imported {created} cases; {skipped} skipped (already here), {errors} rows with errors."
IGNORE = ""


def _render(request, key, context, *, status=200):
    template = "builder/_migrate_step.html" if request.htmx else "builder/migrate.html"
    return render(request, template, context, status=status)


def _context(version, **more):
    columns = import_columns(version)
    return {
        "definition": version.definition,
        "version": version,
        "columns": columns,
        "system_columns": SYSTEM_COLUMNS,
        **more,
    }


@builder_page
def migrate(request, key):
    """The page: the upload form (and the export links)."""
    version = import_version(workflow=key, actor=request.user)
    return render(request, "builder/migrate.html", _context(version, step="upload"))


@builder_page
@require_POST
def migrate_upload(request, key):
    """Keep the uploaded file and show its columns, each mapped to the workflow's column of the
    same name, or to nothing."""
    version = import_version(workflow=key, actor=request.user)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationFailed(MSG_CHOOSE_FILE)
        fmt = sheet_format(upload.name)
        headers = sheet_headers(upload, fmt=fmt)
    except ValidationFailed as refusal:
        return _render(request, key, _context(version, step="upload", error=refusal.message), status=400)
    upload.seek(0)
    token = secrets.token_urlsafe(16)
    path = default_storage.save(f"migrations/{token}.{fmt}", upload)
    uploads = request.session.get(SESSION_KEY, {})
    uploads[token] = {"workflow": key, "path": path, "name": upload.name, "fmt": fmt, "headers": headers}
    request.session[SESSION_KEY] = uploads
    return _render(
        request,
        key,
        _context(version, step="map", token=token, upload=uploads[token], mapping=_mapping(version, headers)),
    )


def _mapping(version, headers, chosen=None) -> list[tuple[str, str]]:
    """(file header, workflow column or "") for each header: what was chosen, else the same name."""
    columns = set(import_columns(version))
    chosen = chosen or {}
    return [(h, chosen.get(h, h if h in columns else IGNORE)) for h in headers]


@builder_page
@require_POST
def migrate_run(request, key):
    """A dry run (`action=preview`) or the import (`action=import`) of a kept upload, with the
    mapping chosen; the per-row report as a table."""
    version = import_version(workflow=key, actor=request.user)
    token = request.POST.get("token", "")
    upload = request.session.get(SESSION_KEY, {}).get(token)
    if upload is None or upload["workflow"] != key or not default_storage.exists(upload["path"]):
        return _render(request, key, _context(version, step="upload", error=MSG_UPLOAD_GONE), status=400)
    columns = set(import_columns(version))
    chosen = {h: request.POST.get(f"map-{i}", IGNORE) for i, h in enumerate(upload["headers"])}
    chosen = {h: (c if c in columns else IGNORE) for h, c in chosen.items()}
    dry_run = request.POST.get("action") != "import"
    context = _context(version, token=token, upload=upload, mapping=_mapping(version, upload["headers"], chosen))
    try:
        with default_storage.open(upload["path"], "rb") as handle:
            headers, rows = sheet_rows(handle, fmt=upload["fmt"], mapping=chosen)
            report = cases_import(
                workflow=key, headers=headers, rows=rows, actor=request.user, dry_run=dry_run, source=upload["name"]
            )
    except ValidationFailed as refusal:
        return _render(request, key, {**context, "step": "map", "error": refusal.message}, status=400)
    counts = {k: report[k] for k in ("created", "skipped", "errors")}
    if dry_run:
        messages.info(request, MSG_PREVIEWED.format(**counts))
        return _render(request, key, {**context, "step": "preview", "report": report})
    default_storage.delete(upload["path"])
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    messages.success(request, MSG_IMPORTED.format(**counts))
    return _render(request, key, {**context, "step": "done", "report": report})


@builder_page
def migrate_export(request, key, fmt):
    return cases_export_download(workflow=key, fmt=fmt, actor=request.user)
