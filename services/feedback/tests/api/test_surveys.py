"""Surveys: questions, versions, publishing, copies."""


def base(**extra):
    return {"slug": "s1", "title": "T", **extra}


def test_publishing_freezes_a_version_and_edits_make_the_next(api, published):
    survey_id = published["id"]
    assert (published["status"], published["published_version"]) == ("active", 1)
    weak = api.patch(
        f"/v1/surveys/{survey_id}",
        {"title": "How did we do?"},
        headers={**api.writer, "If-Match": f'W/"{published["version"]}"'},
    )
    assert weak.status_code == 412  # If-Match compares strongly: a weak tag never matches
    edited = api.patch(
        f"/v1/surveys/{survey_id}",
        {"title": "How did we do?"},
        headers={**api.writer, "If-Match": f'"{published["version"]}"'},
    )
    assert edited.status_code == 200
    assert edited.json()["has_unpublished_changes"] is True
    # Respondents still see version 1 until the change is published.
    assert api.client.get("/v1/public/surveys/delivery").json()["title"] == "How was your delivery?"
    republished = api.post(f"/v1/surveys/{survey_id}/publish").json()
    assert republished["published_version"] == 2
    public = api.client.get("/v1/public/surveys/delivery")
    assert (public.json()["title"], public.json()["version"]) == ("How did we do?", 2)
    versions = api.get(f"/v1/surveys/{survey_id}/versions").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[0]["definition"]["title"] == "How was your delivery?"
    nothing = api.post(f"/v1/surveys/{survey_id}/publish")
    assert nothing.status_code == 409


def test_question_definitions_are_checked(api):
    cases = [
        (
            [
                {"key": "a", "type": "nps", "prompt": "x"},
                {"key": "a", "type": "text", "prompt": "y"},
            ],
            "duplicate",
        ),
        (
            [
                {
                    "key": "b",
                    "type": "text",
                    "prompt": "y",
                    "show_if": [{"question": "later", "op": "answered"}],
                },
                {"key": "later", "type": "nps", "prompt": "x"},
            ],
            "unknown_reference",
        ),
        (
            [
                {
                    "key": "c",
                    "type": "single_choice",
                    "prompt": "x",
                    "choices": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}],
                }
            ],
            "duplicate",
        ),
        ([{"key": "d", "type": "rating", "prompt": "x", "scale": 11}], "less_than_equal"),
        ([{"key": "Bad Key", "type": "nps", "prompt": "x"}], "string_pattern_mismatch"),
    ]
    for questions, code in cases:
        response = api.post("/v1/surveys", base(questions=questions))
        assert response.status_code == 422, questions
        assert code in {e["code"] for e in response.json()["errors"]}, response.json()


def test_slugs_are_unique(api):
    api.created("/v1/surveys", base())
    again = api.post("/v1/surveys", base(title="Other"))
    assert again.status_code == 422
    assert again.json()["errors"][0] == {
        "field": "slug",
        "location": "body",
        "message": "a survey at /s/s1 exists already",
        "code": "duplicate",
    }


def test_a_copy_keeps_every_setting(api, published):
    settings = {
        "intro": "Two minutes.",
        "opens_at": "2026-01-01T00:00:00Z",
        "closes_at": "2036-01-01T00:00:00Z",
        "response_cap": 500,
        "allowed_origins": ["https://shop.example.com"],
        "allow_anonymous": False,
        "one_response_per_invitation": False,
        "fatigue_days": 30,
        "min_seconds_to_complete": 7,
        "store_ip": True,
    }
    changed = api.patch(f"/v1/surveys/{published['id']}", settings)
    assert changed.status_code == 200, changed.text
    original = changed.json()
    copy = api.created(f"/v1/surveys/{published['id']}/copy", {"slug": "delivery-2"})
    differs = {k for k in original if original[k] != copy[k]}
    assert differs == {
        "id",
        "slug",
        "title",
        "status",
        "published_version",
        "created_at",
        "updated_at",
        "version",
        "has_unpublished_changes",
    }
    assert copy["title"] == "How was your delivery? (copy)"
    assert (copy["status"], copy["published_version"]) == ("draft", None)


def test_status_changes(api, published):
    survey_id = published["id"]
    assert api.patch(f"/v1/surveys/{survey_id}", {"status": "paused"}).json()["status"] == "paused"
    back = api.patch(f"/v1/surveys/{survey_id}", {"status": "draft"})
    assert back.status_code == 422
    draft = api.created("/v1/surveys", base())
    early = api.patch(f"/v1/surveys/{draft['id']}", {"status": "active"})
    assert early.status_code == 422
    assert early.json()["errors"][0]["code"] == "invalid_transition"
    assert api.post(f"/v1/surveys/{draft['id']}/publish").status_code == 409  # no questions


def test_a_survey_with_responses_cannot_be_deleted(api, published):
    api.client.post(
        "/v1/public/surveys/delivery/responses",
        json={"submission_id": "sub-00000001", "answers": {"nps": 9, "ease": 6}},
    )
    refused = api.delete(f"/v1/surveys/{published['id']}")
    assert refused.status_code == 409
    assert api.get(f"/v1/surveys/{published['id']}").status_code == 200


def test_the_public_definition_is_revalidated_by_its_etag(api, published):
    first = api.client.get("/v1/public/surveys/delivery")
    etag = first.headers["ETag"]
    assert first.json()["allowed_origins"] == published["allowed_origins"]
    same = api.client.get("/v1/public/surveys/delivery", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["ETag"] == etag
    # Pausing changes what a page must show, and so the tag.
    paused = api.patch(
        f"/v1/surveys/{published['id']}",
        {"status": "paused"},
        headers={**api.writer, "If-Match": f'"{published["version"]}"'},
    )
    assert paused.status_code == 200, paused.text
    after = api.client.get("/v1/public/surveys/delivery", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["accepting_responses"] is False
    assert after.headers["ETag"] != etag
