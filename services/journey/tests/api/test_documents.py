"""A whole journey as one document, and future-state copies."""

DOCUMENT = {
    "name": "Getting support",
    "owner_name": "Sam",
    "stages": [
        {
            "name": "Ask",
            "experience": "I find help in under a minute.",
            "designed_emotion": 1,
            "touchpoints": [
                {
                    "name": "Help centre",
                    "channel": "web",
                    "interaction": "digital",
                    "standard": "Answers the top 20 questions",
                    "targets": [{"metric": "ces", "direction": "at_least", "value": 5.5}],
                    "opportunities": [{"title": "Search that understands typos", "kind": "idea"}],
                },
                {
                    "name": "Chat",
                    "channel": "chat",
                    "interaction": "human",
                    "moment_of_truth": True,
                },
            ],
            "opportunities": [{"title": "Nobody owns the FAQ", "kind": "pain_point"}],
        },
        {
            "name": "Resolve",
            "touchpoints": [
                {"name": "Callback", "channel": "phone", "interaction": "human"},
            ],
        },
    ],
}


def test_post_a_document_then_get_it_back_nested_and_ordered(api):
    created = api.created("/v1/journeys/documents", DOCUMENT)
    document = api.get(f"/v1/journeys/{created['id']}/document").json()
    assert document == created
    assert [s["name"] for s in document["stages"]] == ["Ask", "Resolve"]
    ask = document["stages"][0]
    assert [t["name"] for t in ask["touchpoints"]] == ["Help centre", "Chat"]
    assert [t["position"] for t in ask["touchpoints"]] == [0, 1]
    assert ask["touchpoints"][0]["opportunities"][0]["title"] == "Search that understands typos"
    assert ask["opportunities"][0]["title"] == "Nobody owns the FAQ"
    assert ask["touchpoints"][1]["moment_of_truth"] is True


def test_errors_point_inside_the_document_and_nothing_is_created(api):
    bad = {
        **DOCUMENT,
        "stages": [
            DOCUMENT["stages"][0],
            {
                "name": "Resolve",
                "touchpoints": [{"name": "Fax", "channel": "fax", "interaction": "human"}],
            },
        ],
    }
    response = api.post("/v1/journeys/documents", bad)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["stages[1].touchpoints[0].channel"]
    unknown_team = {
        **DOCUMENT,
        "stages": [
            {
                "name": "S",
                "touchpoints": [
                    {
                        "name": "T",
                        "channel": "web",
                        "interaction": "digital",
                        "owner_team_id": "ghost",
                    },
                ],
            }
        ],
    }
    response = api.post("/v1/journeys/documents", unknown_team)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stages[0].touchpoints[0].owner_team_id"
    assert api.get("/v1/journeys").json()["items"] == []
    assert api.get("/v1/history").json()["items"] == []


def test_future_state_copy_copies_everything_and_links_its_origin(api):
    team = api.created("/v1/teams", {"name": "Care"})
    document = {**DOCUMENT, "status": "live"}
    document["stages"][1]["touchpoints"][0] = {
        "name": "Callback",
        "channel": "phone",
        "interaction": "human",
        "owner_team_id": team["id"],
        "owner_name": "Jo",
    }
    origin = api.created("/v1/journeys/documents", document)
    copy = api.created(f"/v1/journeys/{origin['id']}/copy", {})
    assert copy["id"] != origin["id"]
    assert copy["origin_journey_id"] == origin["id"]
    assert (copy["state"], copy["status"]) == ("future", "draft")
    assert copy["name"] == "Getting support (future state)"

    def shape(doc):
        keep = (
            "name",
            "experience",
            "designed_emotion",
            "channel",
            "interaction",
            "owner_team_id",
            "owner_name",
            "standard",
            "targets",
            "moment_of_truth",
            "title",
            "kind",
        )

        def strip(item):
            return {k: v for k, v in item.items() if k in keep}

        return [
            (
                strip(s),
                [(strip(t), [strip(o) for o in t["opportunities"]]) for t in s["touchpoints"]],
                [strip(o) for o in s["opportunities"]],
            )
            for s in doc["stages"]
        ]

    assert shape(copy) == shape(origin)
    copied_ids = {t["id"] for s in copy["stages"] for t in s["touchpoints"]}
    origin_ids = {t["id"] for s in origin["stages"] for t in s["touchpoints"]}
    assert not copied_ids & origin_ids
    # The origin is untouched.
    assert api.get(f"/v1/journeys/{origin['id']}/document").json() == origin
