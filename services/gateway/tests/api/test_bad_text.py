"""Form posts to the gateway with text no database can store are refused with a 422 page that
names the field, and nothing is changed or stored."""


def _touchpoints(journey):
    return {t["name"]: t for stage in journey["stages"] for t in stage["touchpoints"]}


def test_a_staff_form_with_a_nul_is_refused_naming_the_field(editor, delivery_journey, stored):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    form = {"version": courier["version"], "name": "Courier\x00delivers", "channel": "field"}
    for answer in (
        editor.post(f"/touchpoints/{courier['id']}", form),
        editor.htmx("POST", f"/touchpoints/{courier['id']}", form),
    ):
        assert answer.status_code == 422
        assert "name" in answer.text and "cannot be stored" in answer.text
    assert stored.touchpoint(courier["id"])["name"] == "Courier delivers"
    assert stored.touchpoint(courier["id"])["version"] == courier["version"]


def test_a_survey_answer_with_a_nul_is_refused_and_not_stored(stack, delivery_survey):
    page = stack.gateway.get("/s/delivery")
    assert page.status_code == 200
    refused = stack.gateway.post("/s/delivery", data={"question": "nps", "a_nps": "3\x00"})
    assert refused.status_code == 422
    assert "a_nps" in refused.text
    assert stack.feedback.get("/v1/responses").json()["items"] == []


def test_a_staff_api_refuses_lone_surrogates_naming_the_field(stack, delivery_journey):
    courier = _touchpoints(delivery_journey)["Courier delivers"]
    answer = stack.journey.client.patch(
        f"/v1/touchpoints/{courier['id']}",
        content=b'{"owner_name": "Priya \\ud800"}',
        headers={**stack.journey.writer, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "owner_name"
    customers = stack.metrics.client.post(
        "/v1/customers",
        content=b'{"customers": [{"external_id": "c-1", "name": "Acme \\udc80"}]}',
        headers={**stack.metrics.writer, "Content-Type": "application/json"},
    )
    assert customers.status_code == 422
    assert customers.json()["errors"][0]["field"].endswith("name")
