"""A workflow's cases as a migration file (README "Migration from spreadsheets"): the API's
GET /api/v1/cases/export/ and the builder's export link answer with the same download."""

from django.http import FileResponse, StreamingHttpResponse

from apps.cases.importing import case_export_rows, import_columns, import_version
from apps.core.errors import ValidationFailed
from apps.core.sheets import FORMATS, csv_stream, xlsx_file

MSG_FORMAT = "Unknown format '{fmt}'; use csv or xlsx."


def cases_export_download(*, workflow: str, fmt: str, actor):
    """The workflow's real cases in the import's columns, oldest first: CSV streamed a line at
    a time, XLSX written to a temporary file and streamed from it. Workflow owners only."""
    if fmt not in FORMATS:
        message = MSG_FORMAT.format(fmt=fmt)
        raise ValidationFailed(message, field_errors={"format": [message]})
    version = import_version(workflow=workflow, actor=actor)
    headers, rows = import_columns(version), case_export_rows(version=version)
    filename = f"{workflow}-cases.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(headers, rows), content_type=FORMATS["csv"])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(xlsx_file(headers, rows), as_attachment=True, filename=filename, content_type=FORMATS["xlsx"])
