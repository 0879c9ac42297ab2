"""A council's messy export uploaded in the browser is rejected on the job's page with the
same located message the command line gives, and nothing is loaded."""

from __future__ import annotations

import html
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journey.web.casedata.models import LoadJob
from journey.web.plans.models import Observation

from .test_casedata_loads import inline_jobs, plan_loaded  # noqa: F401  (fixtures)


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("export/children.csv", "child_id,date_of_birth\nC1,2015-01-02\n")
    return out.getvalue()


UPLOADS = {
    "a title line above the header": (
        {"children.csv": b"Children (run 03/07/2023)\nchild_id,sex,date_of_birth\nC1,F,2015-03-02\n"},
        "the header is on row 2 (child_id, sex, date_of_birth), not row 1: delete the line above it",
    ),
    "a totals row below the records": (
        {"children.csv": b"child_id,sex,date_of_birth\nC1,F,2015-03-02\nTotal,,\n"},
        "this looks like a totals row ('TOTAL' in child_id), not a record",
    ),
    "a zip of the export folder": (
        {"export.zip": _zip()},
        "a .zip archive is not opened: unzip it and give the folder (or upload the files in it)",
    ),
}


@pytest.mark.parametrize(("files", "message"), list(UPLOADS.values()), ids=list(UPLOADS))
def test_a_messy_upload_is_rejected_on_its_page_with_the_located_message(
    inline_jobs, plan_loaded, data_team, files, message  # noqa: F811
):
    uploads = [SimpleUploadedFile(name, data) for name, data in files.items()]
    data_team.post(reverse("casedata:upload"), {"extract": uploads})
    job = LoadJob.objects.get()
    assert job.status == "rejected", job.message
    page = html.unescape(data_team.get(reverse("casedata:job", args=[job.pk])).content.decode())
    assert message in page
    assert "Accept and load" not in page
    assert not Observation.objects.exists()
