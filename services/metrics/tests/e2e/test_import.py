"""Bulk import of historical responses, as a team moving from another tool runs it."""

import io
import json

import pytest
from sqlmodel import select

from cxshared.db import make_engine
from cxshared.testing.databases import fetch_all
from cxshared.testing.processes import run_command
from metrics.customers.models import LatestNps
from metrics.facts.models import ResponseFact
from metrics.ingest import importer

pytestmark = pytest.mark.long


HEADER = "response_id,survey_id,submitted_at,touchpoint_id,respondent_id,channel,segment,nps,csat,ces,comment,flagged\n"
ROWS = [
    "h1,s-del,2026-03-01T10:00:00+00:00,tp-courier,c1,web,gold,9,,,Lovely and quick,",
    'h2,s-del,2026-03-01T11:00:00+00:00,tp-courier,c2,web,basic,3,2,,"Late, rude and the box was damaged",',
    "h3,s-del,2026-03-02T09:00:00,tp-courier,c1,app,gold,6,,5,,",
    "h4,s-rel,2026-03-03T09:00:00+00:00,,c3,email,,10,,,,",
    "h5,s-del,2026-03-03T12:00:00+00:00,tp-courier,c4,web,,0,,,,true",
]


def cx_metrics(database_url, *args, stdin=None):
    return run_command("metrics", database_url, *args, stdin=stdin)


def stored(database_url, model):
    return fetch_all(database_url, select(model))


def test_import_a_csv_then_again_skips_what_is_there(database_url, tmp_path, api):
    path = tmp_path / "history.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    first = cx_metrics(database_url, "import-responses", str(path))
    assert first.returncode == 0, first.stderr
    assert "5 rows read, 5 imported, 0 already there" in first.stderr
    assert "imported 5 responses (0 already there)" in first.stdout
    facts = {f.response_id: f for f in stored(database_url, ResponseFact)}
    assert set(facts) == {"h1", "h2", "h3", "h4", "h5"}
    assert facts["h3"].submitted_at.tzinfo is not None  # no zone given: taken as UTC
    assert (facts["h2"].nps, facts["h2"].csat, facts["h2"].segment) == (3, 2, "basic")
    assert facts["h2"].sentiment < 0 < facts["h1"].sentiment
    assert facts["h4"].touchpoint_id == "" and facts["h5"].flagged

    again = cx_metrics(database_url, "import-responses", str(path))
    assert "imported 0 responses (5 already there)" in again.stdout
    check = cx_metrics(database_url, "rebuild-rollups", "--check")
    assert check.returncode == 0 and "0 differ, 0 missing, 0 extra" in check.stdout, check.stdout

    # The imported answers count like captured ones (h5 is flagged: kept, counted nowhere).
    overall = api.get(
        "/v1/scores", params={"metric": "nps", "from": "2026-03-01", "to": "2026-03-03"}
    ).json()
    assert overall["overall"]["details"] == {"promoters": 2, "passives": 0, "detractors": 2}


def test_import_json_lines_from_standard_input(database_url):
    lines = [
        {"response_id": "j1", "survey_id": "s", "submitted_at": "2026-01-05T08:00:00Z", "nps": 8},
        {"response_id": "j2", "survey_id": "s", "submitted_at": "2026-01-05T09:00:00Z", "ces": 7},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    result = cx_metrics(database_url, "import-responses", "-", "--format", "jsonl", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert {f.response_id for f in stored(database_url, ResponseFact)} == {"j1", "j2"}


def test_a_bad_row_is_named_and_its_batch_is_not_stored(database_url, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + ROWS[0] + "\n" + "h9,s-del,yesterday,tp,c9,web,,7,,,,\n")
    result = cx_metrics(database_url, "import-responses", str(path))
    assert result.returncode == 2
    assert "row 3: submitted_at must be an ISO 8601 date and time" in result.stderr
    assert stored(database_url, ResponseFact) == []
    out_of_range = tmp_path / "range.csv"
    out_of_range.write_text(HEADER + "h8,s,2026-01-01T00:00:00Z,,,,,11,,,,\n")
    result = cx_metrics(database_url, "import-responses", str(out_of_range))
    assert "row 2: nps must be from 0 to 10" in result.stderr


def test_latest_nps_follows_the_newest_answer_across_batches(database_url, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 2)
    rows = [
        "n1,s,2026-02-10T00:00:00Z,tp-a,c1,,,9,,,,",
        "n2,s,2026-02-12T00:00:00Z,tp-b,c1,,,2,,,,",  # newest for c1, in the first batch
        "n3,s,2026-02-11T00:00:00Z,tp-a,c1,,,10,,,,",  # older, in a later batch
        "n4,s,2026-02-13T00:00:00Z,tp-a,c2,,,7,,,,true",  # flagged: not an answer to keep
        "n5,s,2026-02-01T00:00:00Z,tp-a,c2,,,5,,,,",
    ]
    engine = make_engine(database_url, pool_size=1)
    try:
        progress = importer.import_responses(
            engine, io.StringIO(HEADER + "\n".join(rows) + "\n"), fmt="csv"
        )
    finally:
        engine.dispose()
    assert progress.imported == 5
    latest = {
        row.respondent_id: (row.score, row.response_id) for row in stored(database_url, LatestNps)
    }
    assert latest == {"c1": (2, "n2"), "c2": (5, "n5")}
