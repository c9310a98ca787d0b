"""Comment sentiment: VADER with the words customers use about a service."""

import pytest

from metrics.comments.sentiment import label, sentiment


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
