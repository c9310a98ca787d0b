"""The dashboard: tiles, trends, incidents acknowledged and resolved in place, outcomes, drivers,
comments."""

import re

import httpx

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _courier(delivery_journey):
    return delivery_journey["stages"][0]["touchpoints"][0]


def _breached(stack, delivery_journey, tools):
    """Courier NPS far below its target of 40: an open incident on a target breach."""
    courier = _courier(delivery_journey)
    tools.relay(stack)
    tools.answers(stack, courier["id"], [0, 1, 2, 0, 1, 2, 3, 0], comment=f"Parcel soaked {XSS}")
    evaluated = stack.metrics.post("/v1/incidents/evaluate", headers=stack.metrics.admin)
    assert evaluated.status_code == 200, evaluated.text
    return courier


def test_tiles_show_score_n_interval_and_change_said_plainly(
    stack, viewer, delivery_journey, tools
):
    _breached(stack, delivery_journey, tools)
    page = viewer.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    nps_tile = html[html.index('class="tile"') : html.index("</article>")]
    assert "-100" in nps_tile and "n=8" in nps_tile and "95%" in nps_tile
    assert (
        "no earlier period to compare" in nps_tile
        or "not a real change" in nps_tile
        or "too few" in nps_tile
    )
    # The trend, drawn as SVG on the server; every answer is from today, a day not over yet,
    # so its one point stands apart as "so far".
    assert '<svg class="trend"' in nps_tile and '<g class="partial">' in nps_tile
    assert "Today so far (-100, n=8)" in nps_tile


def _incident_html(html, incident_id):
    part = html[html.index(f'id="incident-{incident_id}"') :]
    return part[: part.index("</article>")]


def test_an_open_incident_shows_owner_evidence_and_comments_and_is_acknowledged_in_place(
    stack, editor, delivery_journey, tools
):
    courier = _breached(stack, delivery_journey, tools)
    html = editor.get("/dashboard").text
    [incident_id] = re.findall(r'<article class="alert incident" id="incident-([^"]+)"', html)
    incident_html = _incident_html(html, incident_id)
    assert "Courier delivers" in incident_html and "Priya Shah" in incident_html
    assert "below target" in incident_html and "n=8" in incident_html
    assert "Parcel soaked" in incident_html
    # The Incidents page, as the navigation opens it, lists the open ones.
    assert f'id="incident-{incident_id}"' in editor.get("/incidents").text
    version = re.search(r'name="version" value="(\d+)"', incident_html).group(1)
    acknowledged = editor.htmx(
        "POST", f"/incidents/{incident_id}/acknowledge", {"version": version}
    )
    assert acknowledged.status_code == 200
    assert "acknowledged by editor@example.com" in acknowledged.text
    assert acknowledged.headers["HX-Trigger"] == "incident-changed"
    stored = stack.metrics.get(f"/v1/incidents/{incident_id}").json()
    assert stored["status"] == "acknowledged" and stored["acknowledged_by"] == "editor@example.com"
    assert courier["id"] == stored["touchpoint_id"]
    # Acknowledged, it leaves the dashboard and is found under Incidents.
    assert f'id="incident-{incident_id}"' not in editor.get("/dashboard").text
    listed = editor.get("/incidents?status=acknowledged").text
    assert f'id="incident-{incident_id}"' in listed
    moved = editor.get("/alerts?status=acknowledged")
    assert moved.headers["location"] == "/incidents?status=acknowledged"


def test_an_incident_is_resolved_in_place_with_a_reason(stack, editor, delivery_journey, tools):
    _breached(stack, delivery_journey, tools)
    html = editor.get("/dashboard").text
    [incident_id] = re.findall(r'id="incident-([^"]+)"', html)
    version = re.search(r'name="version" value="(\d+)"', _incident_html(html, incident_id))
    no_reason = editor.htmx("POST", f"/incidents/{incident_id}/resolve", {"version": 1})
    assert no_reason.status_code == 422
    resolved = editor.htmx(
        "POST",
        f"/incidents/{incident_id}/resolve",
        {"version": version.group(1), "reason": "Courier replaced"},
    )
    assert resolved.status_code == 200, resolved.text
    assert "Courier replaced" in resolved.text
    stored = stack.metrics.get(f"/v1/incidents/{incident_id}").json()
    assert (stored["status"], stored["resolution"]) == ("resolved", "Courier replaced")
    assert f'id="incident-{incident_id}"' in editor.get("/incidents?status=resolved").text


def _incident_article(html):
    part = html[html.index('<article class="alert incident"') :]
    return part[: part.index("</article>")]


def test_an_incident_says_how_many_answers_mention_each_theme_and_never_offers_praise(
    stack, viewer, delivery_journey, tools
):
    courier = _courier(delivery_journey)
    tools.relay(stack)
    journey_id = delivery_journey["id"]
    late = stack.metrics.created(
        f"/v1/journeys/{journey_id}/themes",
        {"name": "Late arrival", "phrases": ["arrived late", "came late"]},
    )
    stack.metrics.created(
        f"/v1/journeys/{journey_id}/themes",
        {"name": "Crushed <script>alert(1)</script>", "phrases": ["parcel crushed"]},
    )
    tools.answers(stack, courier["id"], [0, 1, 2, 3], comment="Arrived late again.")
    tools.answers(stack, courier["id"], [0, 2], comment="arrived  LATE again!")
    tools.answers(stack, courier["id"], [1], comment="Came late, no call")
    tools.answers(stack, courier["id"], [2], comment="Parcel was crushed")
    tools.answers(stack, courier["id"], [1], comment="Driver was rude")
    tools.answers(stack, courier["id"], [3], comment="My complaint was taken seriously!")
    tools.answers(stack, courier["id"], [10], comment="A promoter's praise")
    stack.metrics.post("/v1/incidents/evaluate", headers=stack.metrics.admin)
    for path in ("/dashboard", "/incidents?status=open"):
        incident_html = _incident_article(viewer.get(path).text)
        # One line per theme, linked to the theme on the journey's themes page.
        link = f'<a href="/journeys/{journey_id}/themes#theme-{late["id"]}">'
        assert f"{link}7 answers mention late arrival</a>" in incident_html, path
        assert (
            "1 answer mentions crushed &lt;script&gt;alert(1)&lt;/script&gt;</a>" in incident_html
        )
        assert "<script>" not in incident_html
        assert "Other comments: 1" in incident_html
        # A few quotes, each wording once (two ways of writing one complaint are one).
        quotes = re.findall(r'<li class="sentiment-negative"><p>([^<]*)</p></li>', incident_html)
        assert [q.casefold().split()[0] for q in quotes] == ["arrived", "came", "parcel", "driver"]
        # Praise, a detractor's too, is never evidence of a problem.
        assert "taken seriously" not in incident_html and "praise" not in incident_html, path


def test_a_viewer_cannot_acknowledge(stack, viewer, delivery_journey, tools):
    _breached(stack, delivery_journey, tools)
    html = viewer.get("/dashboard").text
    assert "Acknowledge</button>" not in html
    assert "Resolve</button>" not in html
    incident_id = re.search(r'id="incident-([^"]+)"', html).group(1)
    refused = viewer.post(f"/incidents/{incident_id}/acknowledge", {"version": 1})
    assert refused.status_code == 403
    assert (
        viewer.post(f"/incidents/{incident_id}/resolve", {"version": 1, "reason": "x"}).status_code
        == 403
    )
    assert stack.metrics.get(f"/v1/incidents/{incident_id}").json()["status"] == "open"


def test_comment_text_is_shown_as_text(stack, viewer, delivery_journey, tools):
    _breached(stack, delivery_journey, tools)
    html = viewer.get("/dashboard").text
    assert "Parcel soaked &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_filters_live_in_the_url(stack, viewer, delivery_journey, tools):
    _breached(stack, delivery_journey, tools)
    journey_id = delivery_journey["id"]
    stage_id = delivery_journey["stages"][0]["id"]
    html = viewer.get(
        f"/dashboard?journey_id={journey_id}&stage_id={stage_id}&days=90&channel=email"
    ).text
    assert f'<option value="{journey_id}" selected>' in html
    assert f'<option value="{stage_id}" selected>' in html
    assert '<option value="90" selected>' in html
    assert '<option value="email" selected>' in html
    # Narrowed to e-mail, the answers given on the web are not counted.
    tile = html[html.index('class="tile"') : html.index("</article>")]
    assert "n=8" not in tile


def test_the_dashboard_renders_with_metrics_or_journey_down(stack, viewer, delivery_journey, tools):
    _breached(stack, delivery_journey, tools)
    stack.stop("metrics")
    page = viewer.get("/dashboard")
    assert page.status_code == 200
    assert "The metrics service cannot be reached" in page.text
    stack.start("metrics")
    stack.stop("journey")
    page = viewer.get("/dashboard")
    assert page.status_code == 200
    assert "The journey service cannot be reached" in page.text
    assert "n=8" in page.text  # the scores are there all the same


def test_slow_drivers_hold_up_neither_the_page_nor_their_own_panel(stack, viewer, tools):
    """The analysis may take longer than a backend's usual timeout: the page does not wait for
    it, its panel does (up to the analysis timeout), and says so when even that runs out."""
    metrics = viewer.client.app.state.metrics
    slow = stack.transports["metrics"].slow
    # Drivers slower than every other call may take: had the page waited for them, metrics
    # would be named missing there. (The margins are wide: a loaded machine is slow too.)
    metrics._http.timeout = httpx.Timeout(20.0)
    slow["/v1/drivers"] = 30.0
    page = viewer.get("/dashboard")
    assert page.status_code == 200 and "did not answer in time" not in page.text
    # The panel waits for longer than the backend timeout: up to the analysis timeout.
    metrics._http.timeout = httpx.Timeout(1.0)
    metrics.analysis_timeout = 20.0
    slow["/v1/drivers"] = 1.5
    panel = viewer.htmx("GET", "/dashboard/drivers?days=30").text
    assert 'id="drivers-panel"' in panel and "could not be worked out" not in panel
    assert "Not enough data yet" in panel  # the analysis' own answer, an empty stack's
    metrics.analysis_timeout = 0.5
    panel = viewer.htmx("GET", "/dashboard/drivers?days=30").text
    assert "The drivers could not be worked out just now" in panel


def _outcomes_panel(html):
    panel = html[html.index('aria-labelledby="risk-title"') :]
    return panel[: panel.index("</section>")]


def test_outcomes_say_there_are_no_customers_yet_rather_than_zero(viewer):
    panel = _outcomes_panel(viewer.get("/dashboard").text)
    assert "No active customers with an NPS answer yet" in panel
    assert "Lifetime value: no active customers yet" in panel
    assert "€0" not in panel


def test_revenue_at_risk_and_lifetime_value_show_their_intervals(
    stack, viewer, delivery_journey, tools
):
    tools.relay(stack)
    ids = [f"c{i}" for i in range(40)]
    added = stack.metrics.post(
        "/v1/customers",
        {"customers": [{"external_id": i, "annual_revenue": 1000, "segment": "gold"} for i in ids]},
    )
    assert added.status_code == 200, added.text
    tools.answers(stack, _courier(delivery_journey)["id"], [0] * 40, respondents=ids)
    risk = stack.metrics.get("/v1/outcomes/revenue-at-risk").json()
    clv = stack.metrics.get("/v1/outcomes/clv").json()
    # No detractor has churned: expected 0, but 0 of 40 allows a rate up to 8.8%.
    assert risk["expected"] == 0 and risk["expected_high"] > 3000
    panel = _outcomes_panel(viewer.get("/dashboard").text)
    assert f"95% interval €0\u2013€{risk['expected_high']:,.0f}" in panel
    assert f"<strong>€{clv['value']:,.0f}</strong>" in panel
    assert f"95% interval €{clv['low']:,.0f}\u2013€{clv['high']:,.0f}" in panel
    assert "retention 100.0% observed over 40 customers" in panel
    # Too few customers for a churn model: the category rates, and the page says why.
    assert (
        "NPS-category rates in use: a churn model needs 200 customers with an NPS answer, 20 "
        "of whom churned and 20 stayed (now 40, 0 churned)." in panel
    )


def test_drivers_say_what_they_could_not_compare_and_what_to_fix_first(
    stack, viewer, delivery_journey, tools
):
    import random

    tools.relay(stack)
    courier, tracking = delivery_journey["stages"][0]["touchpoints"]
    [label] = delivery_journey["stages"][1]["touchpoints"]
    rng = random.Random(5)
    answers = []
    # Customers a-* answer the delivery stage: their NPS follows the courier, not the tracking
    # page. Customers b-* answer only the return label, which their NPS follows a little.
    for i in range(80):
        score = rng.randint(0, 10)
        loyalty = max(0, min(10, round(0.8 * score + 1 + rng.gauss(0, 1))))
        answers += [
            (f"a-{i}", courier["id"], score),
            (f"a-{i}", tracking["id"], rng.randint(0, 10)),
            (f"a-{i}", None, loyalty),
        ]
        score = rng.randint(0, 10)
        loyalty = max(0, min(10, round(0.4 * score + 3 + rng.gauss(0, 2))))
        answers += [(f"b-{i}", label["id"], score), (f"b-{i}", None, loyalty)]
    tools.answered_by(stack, answers)

    # The dashboard loads the panel after the page, from the address it names.
    page = viewer.get("/dashboard").text
    assert 'hx-get="/dashboard/drivers?days=30" hx-trigger="load"' in page
    html = viewer.htmx("GET", "/dashboard/drivers?days=30").text
    assert "<html" not in html  # a fragment for htmx; a page of its own without JavaScript
    assert "<html" in viewer.get("/dashboard/drivers?days=30").text
    section = html[html.index('aria-labelledby="drivers-title"') :]
    section = section[: section.index("</section>")]
    assert "not compared" in section and "Not compared, answered together by fewer than 30" in (
        section
    )
    assert "Courier delivers and Return label (0)" in section
    ranked = section[section.index('<ol class="drivers">') : section.index("</ol>")]
    assert "<strong>Courier delivers</strong>: the strongest link to NPS" in ranked
    assert "fix first" in ranked and "95% interval" in ranked
    # The tracking page plays no part: listed apart with its reason, never also ranked.
    assert "Tracking page" not in ranked
    unranked = section[section.index('id="drivers-unranked"') :]
    assert re.search(r"Tracking page <small>within the noise: ", unranked)
    # The chart says what its axes measure, in what unit, and what its quadrants mean.
    assert "importance: % of NPS differences explained" in section
    assert "performance: gap to target, % of the metric" in section
    assert "<strong>Concentrate here</strong> (top left)" in section


def test_the_churn_model_in_use_shows_its_held_out_figures_and_the_customers_most_at_risk(
    stack, viewer, delivery_journey, tools
):
    import math
    import random
    from datetime import date, timedelta

    tools.relay(stack)
    courier, tracking = delivery_journey["stages"][0]["touchpoints"]
    rng = random.Random(3)
    answers, customers = [], []
    gone = (date.today() - timedelta(days=3)).isoformat()
    # Churn follows the tracking page, which the latest NPS category says little about.
    for i in range(400):
        seen = rng.randint(0, 10)
        answers += [(f"c-{i}", courier["id"], rng.randint(0, 10)), (f"c-{i}", tracking["id"], seen)]
        churned = rng.random() < 1 / (1 + math.exp(1.2 + 0.6 * (seen - 5)))
        customers.append(
            {
                "external_id": f"c-{i}",
                "name": f"Customer {i}",
                "segment": "gold" if i % 3 else "basic",
                "annual_revenue": 1000 + 10 * i,
                "churn_date": gone if churned else None,
            }
        )
    added = stack.metrics.post("/v1/customers", {"customers": customers})
    assert added.status_code == 200, added.text
    tools.answered_by(stack, answers)
    model = stack.metrics.get("/v1/outcomes/churn-model").json()
    assert model["decision"] == "in_use", model["reason"]
    checked = model["validation"]
    said = (
        "Model in use: it beats the NPS-category rates on held-out customers "
        f"(Brier {checked['brier_model']:.3f} vs {checked['brier_baseline']:.3f})."
    )

    panel = _outcomes_panel(viewer.get("/dashboard").text)
    assert said in panel
    assert "their churn probability from the churn model" in panel
    top = stack.metrics.get("/v1/outcomes/at-risk", params={"limit": 5}).json()["items"]
    table = panel[panel.index('<table class="at-risk">') :]
    table = table[: table.index("</table>")]
    assert re.findall(r'<th scope="row">([^<]+)<small>', table) == [c["name"] for c in top]
    assert f"€{top[0]['expected_loss']:,.0f}" in table
    assert '<a href="/dashboard/at-risk">' in panel

    page = viewer.get("/dashboard/at-risk")
    assert page.status_code == 200
    html = page.text
    assert said in html
    assert f"<td>{checked['brier_model']:.3f}</td><td>{checked['brier_baseline']:.3f}</td>" in html
    assert f"<td>{checked['auc_model']:.3f}</td><td>{checked['auc_baseline']:.3f}</td>" in html
    assert f"{checked['held_out']:,} held out ({checked['held_out_churned']} churned)" in html
    assert html.count("<tr><td>") == len(checked["calibration"])
    inputs = html[html.index('<table class="inputs">') :]
    first = inputs[: inputs.index("</tr>", inputs.index("<tbody>"))]
    assert "Tracking page: mean experience" in first  # the strongest input comes first
    rows = re.findall(r'<tr>\s*<th scope="row">([^<]+)<small>', html)
    assert len(rows) == 50 and rows[:5] == [c["name"] for c in top]
    later = viewer.get(re.search(r'<a href="(/dashboard/at-risk\?cursor=[^"]+)">Next', html)[1])
    more = re.findall(r'<tr>\s*<th scope="row">([^<]+)<small>', later.text)
    assert len(more) == 50 and not set(more) & set(rows)
    assert viewer.get("/dashboard/at-risk?cursor=forged").status_code == 303
