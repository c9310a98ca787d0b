"""Surveys for staff: build, publish, share, invite, read responses."""

import re


def _survey(stack, survey_id):
    return stack.feedback.get(f"/v1/surveys/{survey_id}").json()


def _version(stack, survey_id):
    return _survey(stack, survey_id)["version"]


def _new(editor, stack, title="After delivery", slug="after-delivery"):
    created = editor.post("/surveys", {"title": title, "slug": slug})
    assert created.status_code == 303, created.text
    return created.headers["location"].rsplit("/", 1)[1]


def test_build_a_survey_with_every_question_type_then_publish_it(stack, editor):
    survey_id = _new(editor, stack)
    assert editor.get(f"/surveys/{survey_id}").status_code == 200
    prompts = {
        "nps": "How likely are you to recommend us?",
        "csat": "How satisfied are you?",
        "ces": "It was easy.",
        "rating": "Rate the packaging",
        "single_choice": "Was it on time?",
        "multi_choice": "What went wrong?",
        "text": "Anything else?",
    }
    for kind, prompt in prompts.items():
        added = editor.htmx(
            "POST",
            f"/surveys/{survey_id}/questions",
            {"version": _version(stack, survey_id), "type": kind, "prompt": prompt},
        )
        assert added.status_code == 200, added.text
        assert 'id="questions"' in added.text and "<html" not in added.text
        assert added.headers["HX-Trigger"] == "survey-changed"
    stored = _survey(stack, survey_id)["questions"]
    assert [q["type"] for q in stored] == list(prompts)
    keys = [q["key"] for q in stored]

    # The free-text question only for detractors, with its length; choices as typed.
    text_key, multi_key = keys[6], keys[5]
    edited = editor.htmx(
        "POST",
        f"/surveys/{survey_id}/questions/{text_key}",
        {
            "version": _version(stack, survey_id),
            "key": "anything_else",
            "prompt": "Anything else?",
            "max_length": "300",
            "if_question": keys[0],
            "if_op": "lte",
            "if_value": "6",
        },
    )
    assert edited.status_code == 200, edited.text
    editor.htmx(
        "POST",
        f"/surveys/{survey_id}/questions/{multi_key}",
        {
            "version": _version(stack, survey_id),
            "key": multi_key,
            "prompt": "What went wrong?",
            "choices": "late | It came late\nDamaged box\n",
            "max_selected": "2",
        },
    )
    stored = {q["key"]: q for q in _survey(stack, survey_id)["questions"]}
    assert stored["anything_else"]["show_if"] == [{"question": keys[0], "op": "lte", "value": 6}]
    assert stored["anything_else"]["max_length"] == 300
    assert stored[multi_key]["choices"] == [
        {"value": "late", "label": "It came late"},
        {"value": "damaged_box", "label": "Damaged box"},
    ]
    page = editor.get(f"/surveys/{survey_id}").text
    assert f"Shown only if {keys[0]} is at most 6" in page

    published = editor.post(f"/surveys/{survey_id}/publish")
    assert published.status_code == 303
    assert _survey(stack, survey_id)["status"] == "active"
    page = editor.get(f"/surveys/{survey_id}").text
    assert "/s/after-delivery" in page
    assert "data-survey=&#34;after-delivery&#34;" in page and 'data-copy="share-embed"' in page
    preview = editor.get(f"/surveys/{survey_id}/preview")
    assert preview.status_code == 200 and "Rate the packaging" in preview.text


def test_reorder_and_remove_questions(stack, editor):
    survey_id = _new(editor, stack)
    for prompt in ("First", "Second", "Third"):
        editor.htmx(
            "POST",
            f"/surveys/{survey_id}/questions",
            {"version": _version(stack, survey_id), "type": "text", "prompt": prompt},
        )
    keys = [q["key"] for q in _survey(stack, survey_id)["questions"]]
    editor.htmx(
        "POST",
        f"/surveys/{survey_id}/questions/{keys[2]}/move",
        {"version": _version(stack, survey_id), "direction": "up"},
    )
    assert [q["prompt"] for q in _survey(stack, survey_id)["questions"]] == [
        "First",
        "Third",
        "Second",
    ]
    removed = editor.post(
        f"/surveys/{survey_id}/questions/{keys[0]}/delete", {"version": _version(stack, survey_id)}
    )
    assert removed.status_code == 303
    assert [q["prompt"] for q in _survey(stack, survey_id)["questions"]] == ["Third", "Second"]


def test_settings_are_saved_and_bad_ones_shown_beside_their_field(stack, editor):
    survey_id = _new(editor, stack)
    form = {
        "version": _version(stack, survey_id),
        "title": "After delivery",
        "slug": "after-delivery",
        "allowed_origins": "https://shop.example\nhttps://help.example",
        "hidden_fields": "order_id, customer_id",
        "response_cap": "500",
        "fatigue_days": "30",
        "one_response_per_invitation": "on",
    }
    saved = editor.htmx("POST", f"/surveys/{survey_id}/settings", form)
    assert saved.status_code == 200, saved.text
    stored = _survey(stack, survey_id)
    assert stored["allowed_origins"] == ["https://shop.example", "https://help.example"]
    assert stored["hidden_fields"] == ["order_id", "customer_id"]
    assert (stored["response_cap"], stored["fatigue_days"]) == (500, 30)
    assert stored["allow_anonymous"] is False
    bad = editor.htmx(
        "POST",
        f"/surveys/{survey_id}/settings",
        {
            **form,
            "version": stored["version"],
            "allowed_origins": "not an origin",
            "response_cap": "lots",
        },
    )
    assert bad.status_code == 422
    assert 'id="e-response_cap"' in bad.text
    assert _survey(stack, survey_id)["version"] == stored["version"]


def test_a_stale_builder_overwrites_nothing(stack, editor):
    survey_id = _new(editor, stack)
    old = _version(stack, survey_id)
    editor.htmx(
        "POST",
        f"/surveys/{survey_id}/questions",
        {"version": old, "type": "nps", "prompt": "Recommend?"},
    )
    stale = editor.htmx(
        "POST",
        f"/surveys/{survey_id}/questions",
        {"version": old, "type": "text", "prompt": "Why?"},
    )
    assert stale.status_code == 412
    assert "changed" in stale.text
    assert [q["prompt"] for q in _survey(stack, survey_id)["questions"]] == ["Recommend?"]


def test_a_save_hands_its_new_version_to_the_forms_that_held_the_old_one(stack, editor):
    survey_id = _new(editor, stack)
    old = _version(stack, survey_id)
    added = editor.htmx(
        "POST", f"/surveys/{survey_id}/questions", {"version": old, "type": "nps", "prompt": "Q?"}
    )
    assert added.status_code == 200
    new = _version(stack, survey_id)
    # Out of band: every version input of the builder that still says `old` now says `new`.
    bump = re.search(
        r'<input type="hidden" name="version" value="(\d+)" hx-swap-oob="([^"]+)"', added.text
    )
    assert bump, added.text
    assert bump.group(1) == str(new)
    assert bump.group(2) == f"outerHTML:#survey-builder input[name=version][value='{old}']"
    failed = editor.htmx(
        "POST", f"/surveys/{survey_id}/questions", {"version": old, "type": "nps", "prompt": "R?"}
    )
    assert failed.status_code == 412 and "hx-swap-oob" not in failed.text


def test_a_stale_settings_form_keeps_its_input_and_names_what_differs(stack, editor):
    survey_id = _new(editor, stack)
    old = _version(stack, survey_id)
    stack.feedback.patch(
        f"/v1/surveys/{survey_id}",
        json={"title": "Theirs"},
        headers={**stack.feedback.writer, "If-Match": f'"{old}"'},
    )
    form = {"version": old, "title": "After delivery", "slug": "after-delivery", "intro": "Mine"}
    stale = editor.htmx("POST", f"/surveys/{survey_id}/settings", form)
    assert stale.status_code == 412
    assert "not saved" in stale.text and "Reload their version" in stale.text
    assert '<th scope="row">Title</th><td>Theirs</td>' in stale.text
    assert ">Mine</textarea>" in stale.text  # the typed introduction is still on screen
    assert f'name="version" value="{old}"' in stale.text  # saving it again is still refused
    assert (_survey(stack, survey_id)["title"], _survey(stack, survey_id)["intro"]) == (
        "Theirs",
        "",
    )


def test_cancel_closes_the_question_editor(stack, editor):
    survey_id = _new(editor, stack)
    editor.htmx(
        "POST",
        f"/surveys/{survey_id}/questions",
        {"version": _version(stack, survey_id), "type": "nps", "prompt": "Q?"},
    )
    key = _survey(stack, survey_id)["questions"][0]["key"]
    opened = editor.htmx("GET", f"/surveys/{survey_id}/questions/{key}/edit")
    assert "Save question" in opened.text
    closed = editor.htmx("GET", f"/surveys/{survey_id}/questions/{key}/edit?cancel=1")
    assert closed.status_code == 200 and "Save question" not in closed.text


def test_a_viewer_cannot_build(stack, viewer, editor):
    survey_id = _new(editor, stack)
    page = viewer.get(f"/surveys/{survey_id}").text
    assert "Add question" not in page
    refused = viewer.post(
        f"/surveys/{survey_id}/questions", {"version": _version(stack, survey_id), "prompt": "X"}
    )
    assert refused.status_code == 403
    assert _survey(stack, survey_id)["questions"] == []


def test_invitations_from_a_csv_upload(stack, editor, delivery_survey):
    survey_id = delivery_survey["id"]
    csv = "external_id,email,segment\nc-1,ann@example.com,business\nc-2,bob@example.com,\nc-1,ann@example.com,business\n"
    response = editor.client.post(
        f"/surveys/{survey_id}/invitations",
        data={"csrf_token": editor.csrf},
        files={"file": ("people.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert "2 created, 1 skipped" in response.text
    assert "duplicate in batch" in response.text
    links = re.findall(r"/s/delivery\?t=[A-Za-z0-9_-]+", response.text)
    assert len(links) == 2
    listed = editor.get(f"/surveys/{survey_id}/invitations").text
    assert "c-1" in listed and "c-2" in listed and "2 created" in listed
    stored = stack.feedback.get(f"/v1/surveys/{survey_id}/invitations").json()["items"]
    assert {i["external_id"] for i in stored} == {"c-1", "c-2"}

    bad = editor.client.post(
        f"/surveys/{survey_id}/invitations",
        data={"csrf_token": editor.csrf},
        files={"file": ("people.csv", b"name,email\nAnn,ann@example.com\n", "text/csv")},
    )
    assert bad.status_code == 422 and "external_id" in bad.text
    # A cell past the csv module's limit is a message on the page, not a server error.
    huge = "external_id,email\nc-3," + "x" * 200_000 + "\n"
    refused = editor.client.post(
        f"/surveys/{survey_id}/invitations",
        data={"csrf_token": editor.csrf},
        files={"file": ("people.csv", huge.encode(), "text/csv")},
    )
    assert refused.status_code == 422 and "line 2: field larger than field limit" in refused.text
    # A spreadsheet's lone carriage returns end its lines.
    mac = editor.client.post(
        f"/surveys/{survey_id}/invitations",
        data={"csrf_token": editor.csrf},
        files={"file": ("people.csv", b"external_id,email\rc-4,dee@example.com\r", "text/csv")},
    )
    assert mac.status_code == 200 and "1 created" in mac.text


def test_responses_are_listed_filtered_escaped_and_exported(stack, editor, delivery_survey):
    def answer(submission, nps, text):
        response = stack.feedback.client.post(
            "/v1/public/surveys/delivery/responses",
            json={
                "submission_id": submission,
                "complete": True,
                "answers": {"nps": nps, "what_went_wrong": text, "ease": 3}
                if nps <= 6
                else {"nps": nps, "ease": 6},
            },
        )
        assert response.status_code == 201, response.text

    answer("submission-1", 2, '=HYPERLINK("http://evil") <script>alert(1)</script>')
    answer("submission-2", 10, "")
    survey_id = delivery_survey["id"]
    page = editor.get(f"/surveys/{survey_id}/responses").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "/answers?" not in page  # no touchpoint, no scores to point at
    # Scores may count imported answers too: the page says so and links to all of them.
    stack.feedback.patch(f"/v1/surveys/{survey_id}", {"touchpoint_id": "tp-courier"})
    page = editor.get(f"/surveys/{survey_id}/responses").text
    assert 'href="/answers?touchpoint_id=tp-courier&amp;days=365"' in page
    detractors = editor.get(f"/surveys/{survey_id}/responses?band=detractor").text
    assert detractors.count('<span class="tag tag-complete">') == 1
    export = editor.get(f"/surveys/{survey_id}/responses.csv?band=detractor")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    body = export.text
    assert "'=HYPERLINK" in body  # formula cells are escaped by the export
    assert body.count("\n") == 2  # a header and the one detractor


def test_a_question_key_is_whole_words_of_its_prompt(stack, editor):
    survey_id = _new(editor, stack, slug="keys")
    for prompt in ("How likely are you to recommend us to a friend?",) * 2 + ("3 things?",):
        added = editor.post(
            f"/surveys/{survey_id}/questions",
            {"version": _version(stack, survey_id), "type": "nps", "prompt": prompt},
        )
        assert added.status_code == 303, added.text
    keys = [q["key"] for q in _survey(stack, survey_id)["questions"]]
    assert keys == [
        "how_likely_are_you_to_recommend_us_to",
        "how_likely_are_you_to_recommend_us_to_2",
        "q_3_things",
    ]


def test_the_export_comes_with_what_each_column_holds(stack, editor, delivery_survey):
    survey_id = delivery_survey["id"]
    page = editor.get(f"/surveys/{survey_id}/responses?band=detractor").text
    link = f"/surveys/{survey_id}/responses-dictionary.csv?band=detractor"
    assert link in page
    dictionary = editor.get(link)
    assert dictionary.status_code == 200
    assert dictionary.headers["content-type"].startswith("text/csv")
    assert "attachment" in dictionary.headers["content-disposition"]
    header = editor.get(f"/surveys/{survey_id}/responses.csv").text.splitlines()[0]
    rows = dictionary.text.splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == header.split(",")
    assert "How likely are you to recommend us?" in dictionary.text
