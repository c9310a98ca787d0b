"""Comment sentiment: VADER with the words customers use about a service, measured on a
labelled set of service comments (docs/metrics.md, "Comment sentiment")."""

import csv
from collections import Counter
from pathlib import Path

import pytest

from cxshared.sentiment import label, sentiment


@pytest.mark.parametrize(
    "comment",
    [
        "Arrived two days late.",
        "Still waiting for my refund.",
        "The parcel was left in the rain and soaked.",
        "Overcharged for shipping",
        "The app is slow",
        "My email went unanswered",
        "Took three tries to pay, very frustrating.",
        "The box was crushed and the mug broken.",
    ],
)
def test_complaints_about_a_service_read_as_negative(comment: str) -> None:
    assert label(sentiment(comment)) == "negative"


@pytest.mark.parametrize(
    "comment",
    ["Delivery was quick and smooth", "Punctual courier", "Answered promptly", "Lovely packaging."],
)
def test_praise_reads_as_positive(comment: str) -> None:
    assert label(sentiment(comment)) == "positive"


@pytest.mark.parametrize(
    "comment", ["Not late at all", "No waiting", "Nothing was slow", "The parcel came on Tuesday"]
)
def test_negated_or_plain_statements_are_not_negative(comment: str) -> None:
    assert label(sentiment(comment)) != "negative"


def test_the_labels_follow_vaders_thresholds() -> None:
    assert [label(s) for s in (-0.06, -0.05, 0.0, 0.05, 0.06, None)] == [
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "positive",
        None,
    ]


def test_a_request_to_fix_something_is_not_praise() -> None:
    assert (
        label(sentiment("Again, the courier never rang the bell. Please fix this.")) != "positive"
    )
    assert label(sentiment("Disappointed: left in the rain. Please fix this.")) == "negative"


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Arrived a day early!", "positive"),
        ("label arrived by e-mail right away", "positive"),
        # A request, not praise.
        ("would like a printable QR code", "neutral"),
        # Praise for how a complaint was handled, not evidence of a complaint-handling problem.
        ("My complaint was taken seriously!", "positive"),
    ],
)
def test_the_comments_issue_18_saw_misread(comment: str, expected: str) -> None:
    assert label(sentiment(comment)) == expected


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("The activation code never arrived.", "negative"),
        ("Nobody answered my emails", "negative"),
        ("My complaint was not taken seriously.", "negative"),
        ("Could you add Klarna as a payment option? That would be great.", "neutral"),
        ("Why is there a fee for paying by card?", "negative"),
        ("Thanks for losing my parcel, really appreciated.", "negative"),
        ("Refund was slow, although the agent was lovely.", "negative"),
        ("The app used to be slow but now it's fast.", "positive"),
        ("Quick reply but the agent was rude.", "negative"),
        ("No comment.", "neutral"),
    ],
)
def test_service_language_rules(comment: str, expected: str) -> None:
    assert label(sentiment(comment)) == expected


EVALUATION_SET = Path(__file__).parents[1] / "fixtures" / "sentiment_eval.csv"
LABELS = ("negative", "neutral", "positive")


def _evaluation_rows() -> list[dict[str, str]]:
    with EVALUATION_SET.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def _accuracy_and_macro_f1(rows: list[dict[str, str]]) -> tuple[float, float]:
    pairs = Counter((row["label"], label(sentiment(row["comment"]))) for row in rows)
    f1s = []
    for c in LABELS:
        tp = pairs[c, c]
        predicted = sum(pairs[t, c] for t in LABELS)
        actual = sum(pairs[c, p] for p in LABELS)
        f1s.append(2 * tp / (predicted + actual) if predicted + actual else 0.0)
    return sum(pairs[c, c] for c in LABELS) / len(rows), sum(f1s) / len(LABELS)


def test_the_evaluation_set_is_large_labelled_and_holds_out_a_third() -> None:
    rows = _evaluation_rows()
    assert len(rows) >= 300
    assert {row["label"] for row in rows} == set(LABELS)
    assert len({row["id"] for row in rows}) == len(rows)
    held_out = [row for row in rows if int(row["id"]) % 3 == 0]
    assert len(held_out) == len(rows) // 3


def test_accuracy_and_macro_f1_on_the_labelled_service_comments() -> None:
    rows = _evaluation_rows()
    accuracy, macro_f1 = _accuracy_and_macro_f1(rows)
    assert accuracy >= 0.85, f"accuracy {accuracy:.3f}, macro-F1 {macro_f1:.3f}"
    assert macro_f1 >= 0.80, f"accuracy {accuracy:.3f}, macro-F1 {macro_f1:.3f}"
    # The rules were tuned without looking at the held-out third; it keeps them general.
    held_accuracy, _ = _accuracy_and_macro_f1([r for r in rows if int(r["id"]) % 3 == 0])
    assert held_accuracy >= 0.70, f"held-out accuracy {held_accuracy:.3f}"
