from datetime import timedelta

import pytest

THEMES = "/v1/journeys/journey-1/themes"
DOORBELL = {
    "name": "Courier did not ring",
    "description": "The courier left without ringing.",
    "phrases": ["courier never rang the bell"],
}


def figures(api, **params):
    response = api.get(f"{THEMES}/figures", params=params)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


def test_a_theme_is_created_read_and_changed_with_etags(api, send, ev):
    send(ev.touchpoint())
    created = api.post(THEMES, DOORBELL)
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    theme = created.json()
    assert theme["journey_id"] == "journey-1" and theme["phrases"] == DOORBELL["phrases"]

    read = api.get(f"{THEMES}/{theme['id']}")
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'

    changed = api.patch(
        f"{THEMES}/{theme['id']}",
        {"description": "Rang nobody."},
        headers={**api.writer, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"' and changed.json()["updated_by"] == "api-key:editor-bot"

    listed = api.get(THEMES).json()
    assert [t["description"] for t in listed["items"]] == ["Rang nobody."]


def test_a_stale_if_match_changes_nothing(api, send, ev):
    send(ev.touchpoint())
    theme = api.created(THEMES, DOORBELL)
    api.patch(f"{THEMES}/{theme['id']}", {"name": "Doorbell"})
    stale = {**api.writer, "If-Match": '"1"'}

    update = api.patch(f"{THEMES}/{theme['id']}", {"name": "Bell"}, headers=stale)
    assert update.status_code == 412
    assert update.headers["content-type"] == "application/problem+json"
    assert api.delete(f"{THEMES}/{theme['id']}", headers=stale).status_code == 412
    assert api.get(f"{THEMES}/{theme['id']}").json()["name"] == "Doorbell"

    assert (
        api.delete(f"{THEMES}/{theme['id']}", headers={**api.writer, "If-Match": '"2"'}).status_code
        == 204
    )
    assert api.get(f"{THEMES}/{theme['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Bell", "phrases": ["  "]}, "phrases[0]"),
        ({"name": "Bell", "phrases": ["x"] * 51}, "phrases"),
        ({"name": "Bell", "colour": "red"}, "colour"),
    ],
)
def test_invalid_themes_are_refused_with_the_field(api, send, ev, body, field):
    send(ev.touchpoint())
    response = api.post(THEMES, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}


def test_names_are_unique_per_journey_and_journeys_must_be_known(api, send, ev):
    send(ev.touchpoint())
    api.created(THEMES, DOORBELL)
    duplicate = api.post(THEMES, {**DOORBELL, "name": DOORBELL["name"].upper()})
    assert duplicate.status_code == 422
    unknown = api.post("/v1/journeys/journey-x/themes", DOORBELL)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert api.get("/v1/journeys/journey-x/themes/figures").status_code == 404


def test_readers_cannot_write_themes(api, send, ev):
    send(ev.touchpoint())
    assert api.post(THEMES, DOORBELL, headers=api.reader).status_code == 403
    assert api.post(THEMES, DOORBELL, headers={}).status_code == 401


def test_comments_get_their_themes_on_arrival_and_when_the_taxonomy_changes(api, send, ev):
    send(ev.touchpoint())
    send(ev.response("before", nps=3, comment="Courier never rang the bell."))
    theme = api.created(THEMES, DOORBELL)
    assert figures(api)["Courier did not ring"]["comments"] == 1  # stored comments re-themed

    send(
        ev.response("dup", nps=2, comment="Courier never rang the bell. Please fix this."),
        ev.response("other", nps=4, comment="Parcel arrived damaged."),
        ev.response("nothing", nps=9, comment="Lovely."),
    )
    assert figures(api)["Courier did not ring"]["comments"] == 2  # not "Parcel arrived damaged"

    api.patch(f"{THEMES}/{theme['id']}", {"phrases": ["parcel arrived damaged"]})
    assert figures(api)["Courier did not ring"]["comments"] == 1

    # A changed answer is themed again.
    later = ev.now + timedelta(minutes=1)
    send(
        ev.response(
            "other", nps=4, comment="All fine.", type_="response.updated", occurred_at=later
        )
    )
    assert figures(api)["Courier did not ring"]["comments"] == 0


def test_nps_impact_matches_a_computation_by_hand(api, send, ev):
    send(ev.touchpoint(), ev.touchpoint("tp-locker", name="Locker pickup"))
    theme_comment = "Courier never rang the bell."
    events = []
    # Courier: 10 promoters, 5 passives, 5 detractors; 2 detractors and 1 promoter mention it.
    for i in range(20):
        score = 10 if i < 10 else 8 if i < 15 else 3
        comment = theme_comment if i in (15, 16, 0) else None
        events.append(ev.response(f"c{i}", nps=score, comment=comment))
    # Locker: 5 promoters, 5 detractors; 1 detractor mentions it.
    for i in range(10):
        score = 10 if i < 5 else 1
        comment = theme_comment if i == 5 else "Locker was full."
        events.append(ev.response(f"l{i}", nps=score, comment=comment, touchpoint_id="tp-locker"))
    send(*events)
    api.created(THEMES, DOORBELL)

    theme = figures(api)["Courier did not ring"]
    courier = {t["touchpoint_id"]: t for t in theme["touchpoints"]}["tp-courier"]
    # Courier: NPS = 100 (10 - 5) / 20 = 25; with 2 detractors as passives 100 (10 - 3) / 20 = 35.
    impact = courier["impact"]
    assert (impact["nps"], impact["nps_without"], impact["points"]["value"]) == (25, 35, 10)
    # Wilson, 2 of 20, z = 1.96: centre (0.1 + 1.9208/20) / (1 + 3.8415/20) = 0.16445,
    # half 1.96 sqrt(0.1 * 0.9 / 20 + 3.8415 / 1600) / 1.19207 = 0.13659.
    assert round(impact["points"]["low"], 2) == 2.79
    assert round(impact["points"]["high"], 2) == 30.10
    assert impact["too_few_responses"] is True  # n = 20 < 30

    # Journey: n = 30, P = 15, D = 10: NPS 16.67; k = 3 detractors: 100 · 3 / 30 = 10 points.
    journey = theme["impact"]
    assert round(journey["nps"], 2) == 16.67 and round(journey["nps_without"], 2) == 26.67
    assert journey["points"]["value"] == pytest.approx(10)
    # Wilson, 3 of 30: centre (0.1 + 1.9208/30) / (1 + 3.8415/30) = 0.14541,
    # half 1.96 sqrt(0.1 * 0.9 / 30 + 3.8415 / 3600) / 1.12805 = 0.11080.
    assert round(journey["points"]["low"], 2) == 3.46
    assert round(journey["points"]["high"], 2) == 25.62
    assert journey["too_few_responses"] is False

    # 4 comments mention it, 3 of them from detractors; the journey has 13 (3 + 10) comments.
    assert theme["comments"] == 4
    assert theme["detractor_share"]["value"] == 75
    assert round(theme["share"]["value"], 2) == round(100 * 4 / 13, 2)
    assert [t["touchpoint_id"] for t in theme["touchpoints"]] == ["tp-courier", "tp-locker"]


def test_suggestions_fold_near_duplicates_and_leave_out_themed_comments(api, send, ev):
    send(ev.touchpoint())
    texts = ["Courier never rang the bell.", "Courier never rang the bell. Please fix this."] * 3
    texts += [
        "The parcel was soaked by the rain.",
        "Disappointed: the parcel was soaked by the rain!",
    ] * 3
    send(*[ev.response(f"s{i}", nps=2, comment=t) for i, t in enumerate(texts)])

    found = api.get(f"{THEMES}/suggestions").json()
    assert found["comments_considered"] == 12
    bell = next(s for s in found["items"] if "Courier never rang the bell" in s["phrases"])
    assert bell["comments"] == 6

    api.created(THEMES, {k: bell[k] for k in ("name", "description", "phrases")})
    after = api.get(f"{THEMES}/suggestions").json()
    assert after["comments_considered"] == 6
    assert all("Courier never rang the bell" not in s["phrases"] for s in after["items"])


@pytest.mark.parametrize(
    "period", [{"to": "0001-01-05"}, {"from": "0001-01-01", "to": "0001-01-10"}]
)
def test_periods_at_the_first_date_answer_without_error(api, send, ev, period):
    send(ev.touchpoint())
    api.created(THEMES, DOORBELL)
    assert api.get(f"{THEMES}/figures", params=period).status_code == 200
    assert api.get(f"{THEMES}/suggestions", params=period).status_code == 200
