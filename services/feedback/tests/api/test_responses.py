"""Reading responses: filters, and streamed exports safe to open in a spreadsheet."""

import csv
import io
import json
import uuid

from feedback.responses import export

URL = "/v1/public/surveys/delivery/responses"


def answer(api, nps, text=None, respondent=None, complete=True, ease=4, hidden=None):
    answers = {"nps": nps, "ease": ease}
    if text is not None:
        answers["what_went_wrong"] = text
    body = {"submission_id": uuid.uuid4().hex, "answers": answers, "complete": complete}
    if hidden:
        body["hidden"] = hidden
    if respondent:
        body["respondent"] = {"external_id": respondent}
    response = api.client.post(URL, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def ids(api, **params):
    return [r["id"] for r in api.get("/v1/responses", params=params).json()["items"]]


def test_filters_by_band_respondent_text_status_and_survey(api, published):
    promoter = answer(api, 10)
    passive = answer(api, 7)
    detractor = answer(api, 2, text="The courier was RUDE", respondent="cust-1")
    partial = answer(api, 5, text="100% late_", complete=False)
    assert ids(api, band="promoter") == [promoter]
    assert ids(api, band="passive") == [passive]
    assert ids(api, band="detractor") == [partial, detractor]  # newest first
    assert ids(api, respondent="cust-1") == [detractor]
    assert ids(api, text="rude") == [detractor]
    assert ids(api, text="100%") == [partial]  # % is a character, not a wildcard
    assert ids(api, text="e_") == [partial]
    assert ids(api, status="partial") == [partial]
    assert ids(api, survey_id="other") == []
    assert len(ids(api, since="2000-01-01T00:00:00Z")) == 4
    assert ids(api, until="2000-01-01T00:00:00Z") == []
    # Which of a list of ids feedback holds (an id it never had is simply absent).
    assert ids(api, id=[promoter, detractor, str(uuid.uuid4())]) == [detractor, promoter]
    assert ids(api, id=[passive], band="promoter") == []


def test_at_most_100_ids_are_asked_at_once(api, published):
    response = api.get("/v1/responses", params={"id": [str(uuid.uuid4())] * 101})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "id"


def test_csv_export_escapes_formulas_and_has_a_column_per_question(api, published):
    dangerous = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tlead", "plain"]
    for text in dangerous:
        answer(api, 3, text=text)
    response = api.get("/v1/responses/export", params={"survey_id": published["id"]})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == 6
    assert {"nps", "what_went_wrong", "topics", "ease"} <= set(table[0])
    assert [row["what_went_wrong"] for row in table] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        "'\tlead",
        "plain",
    ]
    assert {row["nps"] for row in table} == {"3"}


def test_csv_export_has_a_column_per_hidden_field_across_surveys(api, published):
    answer(api, 9, hidden={"order_id": "=A-1", "segment": "small_business"})
    answer(api, 2)
    for params in ({"survey_id": published["id"]}, {}):
        response = api.get("/v1/responses/export", params=params)
        table = list(csv.DictReader(io.StringIO(response.text)))
        assert "hidden" not in table[0]
        assert [row["hidden.order_id"] for row in table] == ["'=A-1", ""]  # still guarded
        assert [row["hidden.segment"] for row in table] == ["small_business", ""]


def test_the_data_dictionary_names_every_column_of_the_export(api, published):
    answer(api, 9, hidden={"order_id": "A-1"})
    params = {"survey_id": published["id"]}
    header = next(csv.reader(io.StringIO(api.get("/v1/responses/export", params=params).text)))
    response = api.get("/v1/responses/export", params={**params, "format": "dictionary"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["column"] for row in rows] == header
    meaning = {row["column"]: row for row in rows}
    assert meaning["nps"]["meaning"] == "How likely are you to recommend us?"
    assert meaning["nps"]["values"] == "0-10"
    assert meaning["topics"]["type"] == "multi_choice"
    assert "late = Late" in meaning["topics"]["values"]
    assert meaning["hidden.order_id"]["type"] == "hidden"
    assert meaning["submitted_at"]["meaning"]


def test_jsonl_export_keeps_values_as_data(api, published):
    answer(api, 9, respondent="cust-2")
    answer(api, 1, text="=1+1")
    response = api.get("/v1/responses/export", params={"format": "jsonl"})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in response.text.splitlines()]
    assert [r["answers"]["nps"] for r in records] == [9, 1]
    assert records[1]["answers"]["what_went_wrong"] == "=1+1"  # JSON is data: left as it was
    assert records[0]["respondent_external_id"] == "cust-2"


def test_exports_read_in_batches(api, published, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 3)
    made = [answer(api, n % 11) for n in range(8)]
    streamed = list(
        export.rows(api.client.app.state.engine, __import__("sqlmodel").select(export.Response))
    )
    assert [r.id for r in streamed] == made
