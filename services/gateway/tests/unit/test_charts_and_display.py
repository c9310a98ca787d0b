"""Pure parts of the gateway: charts as coordinates, display logic, figures as words."""

from gateway import present
from gateway.charts import Measured, Placed, emotion_chart, quadrant_chart, trend_chart
from gateway.clients.models import Drivers, Question, Score, ScoreChange
from gateway.pages.dashboard import change_words, driver_sentences
from gateway.present import change, figure
from gateway.surveys.display import next_question, shown


def test_the_emotion_curve_puts_plus_two_on_top_and_skips_unmeasured_stages():
    chart = emotion_chart([("Discover", 2, 1.0), ("Buy", -2, None), ("Receive", 0, -1.5)])
    top, bottom = chart.y_of(2), chart.y_of(-2)
    assert top < chart.y_of(0) < bottom
    assert [p.designed_y for p in chart.points] == [top, bottom, chart.y_of(0)]
    assert chart.points[1].measured_y is None
    assert len(chart.measured) == 1  # two measured stages, one segment
    assert len(chart.designed) == 2
    # Over the middle of each of three columns sharing the width, in percent.
    assert [p.x for p in chart.points] == [16.667, 50.0, 83.333]


def test_a_trend_keeps_empty_periods_in_place_and_bands_the_interval():
    series = [
        Measured("w1", 10.0, 0.0, 20.0, 40, False),
        Measured("w2", None, None, None, 0, True),
        Measured("w3", 30.0, 25.0, 35.0, 90, False),
    ]
    chart = trend_chart("nps", series)
    assert len(chart.points) == 2
    first, last = chart.points
    assert last.x - first.x > 2 * (chart.points[0].x - chart.left)  # w2 keeps its slot
    assert last.y < first.y  # higher values sit higher
    assert chart.band.startswith("M") and chart.band.endswith("Z")
    assert {t.label for t in chart.y_ticks} >= {"0", "40"}


def test_a_period_still_under_way_stands_apart_from_the_line_and_the_band():
    series = [
        Measured("d1", 20.0, 10.0, 30.0, 60, False),
        Measured("d2", 24.0, 14.0, 34.0, 60, False),
        Measured("today", -35.0, -100.0, 60.0, 4, True, complete=False),
    ]
    chart = trend_chart("nps", series)
    assert [p.label for p in chart.points] == ["d1", "d2"]  # the line ends at d2
    assert chart.partial is not None and chart.partial.label == "today"
    band_xs = {float(c.split(",")[0]) for c in chart.band.strip("MZ ").replace("L", "").split()}
    assert chart.partial.x not in band_xs
    assert chart.partial_link.startswith(f"M{chart.points[-1].x:.1f}")
    # Its wide interval is a whisker inside the plot and does not stretch the axis.
    assert min(float(t.label) for t in chart.y_ticks) > -100
    assert chart.partial.high_y is not None and chart.partial.low_y is not None
    assert chart.partial.high_y >= 0 and chart.partial.low_y <= chart.bottom
    whole = trend_chart("nps", [*series[:2], Measured("d3", -35.0, -100.0, 60.0, 4, True)])
    assert whole.partial is None and len(whole.points) == 3


def test_the_quadrant_splits_where_the_drivers_service_split():
    chart = quadrant_chart(
        [
            Placed("Courier", 0.5, 0.4, 0.6, -1.0, "concentrate_here"),
            Placed("E-mail", 0.1, None, None, 1.5, "possible_overkill"),
        ],
        importance_split=0.25,
        performance_split=0.2,
    )
    courier, email = chart.points
    assert courier.x < chart.split_x < email.x  # performance across
    assert courier.y < chart.split_y < email.y  # importance up
    # Its interval is a whisker around it (up is a smaller y), inside the plot.
    assert chart.top <= courier.high_y < courier.y < courier.low_y < chart.split_y
    assert email.low_y == email.y == email.high_y
    # Both axes carry ticks in percent; the target is named where performance is 0 gap.
    assert chart.y_ticks[0].label == "0%" and chart.y_ticks[0].at == chart.bottom
    assert all(t.label.endswith("%") for t in chart.y_ticks)
    assert chart.y_ticks[-1].at == chart.top  # the axis ends on a tick
    [target] = [t for t in chart.x_ticks if t.label == "target"]
    assert target.at == chart.split_x


def test_the_quadrant_puts_the_target_in_the_middle_whatever_the_gaps():
    chart = quadrant_chart(
        [
            Placed("Checkout", 0.3, None, None, -0.02, "concentrate_here"),
            Placed("Refund", 0.1, None, None, -0.2, "low_priority"),
        ],
        importance_split=0.5,
        performance_split=0.0,
    )
    assert chart.split_x == (chart.left + chart.right) / 2
    checkout, refund = chart.points
    assert chart.left <= refund.x < checkout.x < chart.split_x  # both below their targets


def test_each_ranked_driver_reads_as_a_sentence_with_what_to_do():
    def driver(name, rank, share, value, status, quadrant):
        performance = {"value": value, "status": status} if value is not None else {}
        return {
            "touchpoint_id": name, "name": name, "n": 100, "rank": rank, "share": share,
            "importance": share / 2, "quadrant": quadrant, "performance": performance,
        }  # fmt: skip

    drivers = Drivers.model_validate(
        {
            "outcome": "nps",
            "thresholds": {"importance": 0.25, "performance": 0},
            "drivers": [
                driver("Courier delivers", 1, 0.4, -0.2, "breached", "concentrate_here"),
                driver("Checkout", 2, 0.3, -0.05, "breached", "concentrate_here"),
                driver("App", 3, 0.2, 0.1, "met", "possible_overkill"),
                driver("Chat", 4, 0.1, None, None, None),
            ],
        }
    )
    words = {s["driver"].name: s["words"] for s in driver_sentences(drivers)}
    assert words == {
        "Courier delivers": "the strongest link to NPS and performing worst — fix first",
        "Checkout": "a strong link to NPS and below its target — fix next",
        "App": "a weaker link to NPS and meeting its target — effort may be better spent elsewhere",
        "Chat": "a weaker link to NPS and no target to judge it by — set a target to place it",
    }


def test_display_logic_follows_earlier_answers():
    nps = Question(key="nps", type="nps", prompt="Recommend?")
    why = Question(
        key="why",
        type="text",
        prompt="Why?",
        show_if=[{"question": "nps", "op": "lte", "value": 6}],
    )
    ease = Question(key="ease", type="ces", prompt="Easy?")
    questions = [nps, why, ease]
    assert shown(why, {"nps": 6}) and not shown(why, {"nps": 7}) and not shown(why, {})
    assert next_question(questions, {"nps": 3}, after="nps") is why
    assert next_question(questions, {"nps": 9}, after="nps") is ease
    assert next_question(questions, {"nps": 9, "ease": 5}, after="ease") is None
    picked = Question(
        key="p",
        type="text",
        prompt="P",
        show_if=[{"question": "topics", "op": "in", "value": ["late"]}],
    )
    assert shown(picked, {"topics": ["damaged", "late"]}) and not shown(
        picked, {"topics": ["rude"]}
    )


def test_figures_read_as_people_expect():
    assert figure("nps", -0.3) == "+0"
    assert figure("nps", 32.4) == "+32"
    assert figure("csat", 84.6) == "85%"
    assert figure("ces", 5.25) == "5.2"
    assert figure("nps", None) == "\u2013"


def test_a_change_is_signed_and_never_minus_zero():
    assert [change("nps", d) for d in (4.26, -3.14, -0.04, 0.04, 0.0)] == [
        "+4.3 points",
        "-3.1 points",
        "0.0 points",
        "0.0 points",
        "0.0 points",
    ]
    assert [change("ces", d) for d in (-0.04, -0.25, 0.35)] == ["0.0", "-0.2", "+0.3"]


def test_a_real_change_gives_its_p_value_and_a_tiny_one_as_below_a_thousandth():
    def changed(p: float) -> ScoreChange:
        score = Score(value=10.0, low=5.0, high=15.0, n=400, too_few=False, min_responses=30)
        return ScoreChange(
            current=score, base=score, difference=-4.5, p_adjusted=p, significant=True
        )

    assert change_words("nps", changed(0.0004)) == (
        "-4.5 points on the previous period: a real change (p < 0.001)"
    )
    assert change_words("nps", changed(0.0123)).endswith("(p = 0.012)")


def test_who_changed_something_reads_as_a_person_would_say_it():
    assert present.actor_name("api-key:demo", start=True) == "The demo loader"
    assert present.actor_name("api-key:crm-sync") == "the API key “crm-sync”"
    assert present.actor_name("lena@example.com", start=True) == "lena@example.com"
    assert present.actor_name("", start=True) == "Someone"


def test_history_values_are_words_not_ids_or_reprs():
    names = {"t1": "Logistics"}
    assert present.history_value("owner_team_id", "t1", names) == "Logistics"
    assert present.history_value("owner_team_id", "gone", names) == "one that no longer exists"
    assert present.history_value("moment_of_truth", True, names) == "yes"
    assert present.history_value("moment_of_truth", False, names) == "no"
    targets = [{"metric": "csat", "value": 80.0, "direction": "at_least", "min_responses": 30}]
    assert present.history_value("targets", targets, names) == "CSAT at least 80%"
    assert present.history_value("designed_emotion", -1, names) == "-1 negative"
    assert present.history_value("position", 0, names) == "1"
    assert present.history_value("owner_email", None, names) == "\u2013"


def test_a_theme_name_reads_inside_a_sentence_without_breaking_acronyms():
    assert present.mid_sentence("Late arrival") == "late arrival"
    assert present.mid_sentence("late") == "late"
    assert present.mid_sentence("DHL lost it") == "DHL lost it"
    assert present.mid_sentence("X") == "X"


def test_keys_read_as_people_write_them():
    assert [present.label(k) for k in ("small_business", "nps", "CES", "sla", None)] == [
        "Small business",
        "NPS",
        "CES",
        "SLA",
        "none",
    ]
