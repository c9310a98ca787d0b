from datetime import timedelta


def scores(api, **params):
    response = api.get("/v1/scores", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def answers(ev, n, *, promoters, detractors, prefix="r", **kwargs):
    """n NPS responses: the first `promoters` are 10, the next `detractors` are 0, the rest 8."""
    events = []
    for i in range(n):
        score = 10 if i < promoters else 0 if i < promoters + detractors else 8
        events.append(ev.response(f"{prefix}{i}", nps=score, **kwargs))
    return events


def test_nps_carries_the_adjusted_wald_interval_and_the_target_status(api, send, ev):
    send(
        ev.touchpoint(
            targets=[{"metric": "nps", "value": 40, "direction": "at_least", "min_responses": 30}]
        )
    )
    send(*answers(ev, 50, promoters=25, detractors=10))
    result = scores(api, metric="nps", group_by="touchpoint")
    [group] = result["groups"]
    assert group["value"] == 30
    assert (round(group["low"], 1), round(group["high"], 1)) == (7.3, 49.3)
    assert group["n"] == 50 and group["too_few"] is False
    assert group["target"]["value"] == 40
    assert group["target_status"] == "uncertain"  # 40 lies inside [7.3, 49.3]
    assert group["details"] == {"promoters": 25, "passives": 15, "detractors": 10}


def test_a_score_below_the_minimum_is_flagged_too_few(api, send, ev):
    send(*answers(ev, 5, promoters=5, detractors=0))
    overall = scores(api, metric="nps")["overall"]
    assert overall["too_few"] is True
    assert overall["min_responses"] == 30


def test_csat_is_the_top_two_box_and_ces_the_mean(api, send, ev):
    send(
        *[
            ev.response(f"c{i}", csat=v, ces=w)
            for i, (v, w) in enumerate([(5, 7), (4, 6), (2, 2), (3, 5)])
        ]
    )
    csat = scores(api, metric="csat")["overall"]
    assert csat["value"] == 50
    assert csat["details"]["mean_satisfaction"]["value"] == 3.5
    ces = scores(api, metric="ces")["overall"]
    assert ces["value"] == 5
    assert ces["details"]["percent_agree"]["value"] == 75


def test_groups_by_channel_and_segment_and_filters(api, send, ev):
    send(
        *answers(ev, 4, promoters=4, detractors=0, prefix="a", channel="email", segment="gold"),
        *answers(ev, 2, promoters=0, detractors=2, prefix="b", channel="web", segment="basic"),
    )
    by_channel = {g["key"]: g for g in scores(api, metric="nps", group_by="channel")["groups"]}
    assert (by_channel["email"]["value"], by_channel["web"]["value"]) == (100, -100)
    gold = scores(api, metric="nps", segment="gold")["overall"]
    assert gold["n"] == 4


def test_the_period_filters_days(api, send, ev):
    send(ev.response("old", nps=0, days_ago=40), ev.response("new", nps=10))
    assert scores(api, metric="nps")["overall"]["n"] == 1
    start = (ev.now - timedelta(days=60)).date().isoformat()
    assert scores(api, metric="nps", **{"from": start})["overall"]["n"] == 2


def test_whole_months_and_the_days_around_them_add_up_exactly(api, send, ev):
    today = ev.now.date()
    f1 = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # first of last month
    f2 = (f1 - timedelta(days=1)).replace(day=1)
    f3 = (f2 - timedelta(days=1)).replace(day=1)
    days = [f3 + timedelta(days=14), f2, f2 + timedelta(days=20), f1 - timedelta(days=1)]
    days.append(f1 + timedelta(days=5))
    send(*(ev.response(f"m{i}", nps=10, days_ago=(today - d).days) for i, d in enumerate(days)))

    def n(start, end):
        params = {"metric": "nps", "from": start.isoformat(), "to": end.isoformat()}
        return nps_n(api.get("/v1/scores", params={**params, "group_by": "touchpoint"}).json())

    assert n(f3 + timedelta(days=15), f1 - timedelta(days=1)) == 3  # days, then a whole month
    assert n(f3, today.replace(day=1) - timedelta(days=1)) == 5  # three whole months
    assert n(f2 + timedelta(days=1), f1 + timedelta(days=5)) == 3  # days only
    assert n(f3 + timedelta(days=14), f3 + timedelta(days=14)) == 1
    series = api.get(
        "/v1/scores/series",
        params={
            "metric": "nps",
            "interval": "month",
            "from": f3.isoformat(),
            "to": today.isoformat(),
        },
    ).json()
    assert [p["n"] for p in series["points"]] == [1, 3, 1, 0]


def nps_n(body):
    [group] = body["groups"] or [{"n": 0}]
    assert group["n"] == body["overall"]["n"]
    return body["overall"]["n"]


def test_a_period_that_ends_before_it_starts_is_refused(api):
    response = api.get(
        "/v1/scores", params={"metric": "nps", "from": "2026-02-01", "to": "2026-01-01"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "from"


def test_series_has_a_point_per_week_with_its_own_n(api, send, ev):
    send(ev.response("a", nps=10, days_ago=0), ev.response("b", nps=0, days_ago=14))
    start = (ev.now - timedelta(days=20)).date().isoformat()
    series = api.get(
        "/v1/scores/series", params={"metric": "nps", "interval": "week", "from": start}
    ).json()
    assert sum(p["n"] for p in series["points"]) == 2
    assert series["points"][0]["start"] == start
    assert all(p["start"] <= p["end"] for p in series["points"])
    monthly = api.get(
        "/v1/scores/series", params={"metric": "nps", "interval": "month", "from": start}
    ).json()
    assert sum(p["n"] for p in monthly["points"]) == 2


def test_change_between_periods_is_significant_only_with_enough_answers(api, send, ev):
    send(*answers(ev, 200, promoters=120, detractors=20, prefix="before", days_ago=40))
    send(*answers(ev, 200, promoters=40, detractors=100, prefix="after", days_ago=5))
    today = ev.now.date()
    params = {
        "metric": "nps",
        "from": (today - timedelta(days=29)).isoformat(),
        "to": today.isoformat(),
        "group_by": "touchpoint",
    }
    [change] = api.get("/v1/scores/change", params=params).json()["changes"]
    assert change["base"]["value"] == 50 and change["current"]["value"] == -30
    assert change["difference"] == -80
    assert change["p_value"] < 1e-6 and change["significant"] is True
    send(ev.response("lonely", nps=10, touchpoint_id="tp-quiet", days_ago=3))
    changes = {c["key"]: c for c in api.get("/v1/scores/change", params=params).json()["changes"]}
    assert changes["tp-quiet"]["significant"] is False
    assert changes["tp-quiet"]["p_adjusted"] is None


def test_change_between_segments(api, send, ev):
    send(*answers(ev, 40, promoters=30, detractors=2, prefix="g", segment="gold"))
    send(*answers(ev, 40, promoters=5, detractors=30, prefix="b", segment="basic"))
    [change] = api.get(
        "/v1/scores/change", params={"metric": "nps", "segment": "basic", "base_segment": "gold"}
    ).json()["changes"]
    assert change["base"]["n"] == change["current"]["n"] == 40
    assert change["significant"] is True


def test_overlay_shows_scores_and_emotions_per_stage_and_touchpoint(api, send, ev):
    send(ev.touchpoint())
    send(ev.touchpoint("tp-returns", name="Return label", stage_id="stage-returns"))
    send(
        ev.response("a", nps=10, comment="Lovely, fast and friendly"),
        ev.response("b", nps=0, comment="Terrible, late and rude"),
    )
    overlay = api.get("/v1/journeys/journey-1/overlay").json()
    assert overlay["journey_name"] == "Delivery and returns"
    first = overlay["stages"][0]["touchpoints"][0]
    assert first["scores"]["nps"]["n"] == 2
    assert first["emotion"]["designed"] == 1
    assert first["emotion"]["measured"] == 0  # 10 -> +2, 0 -> -2
    assert first["emotion"]["negative_comments"] == 1
    assert api.get("/v1/journeys/unknown/overlay").status_code == 404


def test_the_bucket_still_filling_says_it_is_not_complete(api, send, ev):
    send(ev.response("today", nps=0, days_ago=0), ev.response("earlier", nps=10, days_ago=3))
    today = ev.now.date()
    start = today - timedelta(days=40)
    for interval in ("day", "week", "month"):
        points = api.get(
            "/v1/scores/series",
            params={"metric": "nps", "interval": interval, "from": start.isoformat()},
        ).json()["points"]
        assert points[-1]["complete"] is False, interval
        assert points[-1]["end"] == today.isoformat()
        assert all(p["complete"] for p in points[:-1]), interval
    ended = (today - timedelta(days=1)).isoformat()
    past = api.get(
        "/v1/scores/series",
        params={"metric": "nps", "interval": "day", "from": start.isoformat(), "to": ended},
    ).json()["points"]
    assert all(p["complete"] for p in past)


def test_a_period_at_the_first_day_a_date_can_hold_is_read_from_days(api, send, ev):
    send(*answers(ev, 3, promoters=3, detractors=0))
    assert scores(api, metric="nps", **{"from": "0001-01-01", "to": "0001-01-10"})["overall"]
