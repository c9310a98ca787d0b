"""The pure parts of the observed journeys: periods cut into months and days, time bins."""

from datetime import date

import pytest

from metrics.observed.figures import _pieces, quantile
from metrics.observed.trails import bin_seconds, time_bin


def test_a_period_reads_whole_months_and_the_days_at_either_end():
    assert _pieces(date(2026, 1, 15), date(2026, 4, 10)) == (
        [date(2026, 2, 1), date(2026, 3, 1)],
        [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 10))],
    )
    assert _pieces(date(2026, 2, 1), date(2026, 2, 28)) == ([date(2026, 2, 1)], [])
    assert _pieces(date(2026, 12, 1), date(2027, 1, 31)) == (
        [date(2026, 12, 1), date(2027, 1, 1)],
        [],
    )
    assert _pieces(date(2026, 3, 2), date(2026, 3, 31)) == (
        [],
        [(date(2026, 3, 2), date(2026, 3, 31))],
    )
    assert _pieces(date(2026, 3, 1), date(2026, 3, 30)) == (
        [],
        [(date(2026, 3, 1), date(2026, 3, 30))],
    )


@pytest.mark.parametrize("seconds", [0, 0.4, 1, 59, 3600, 86_400 * 3, 86_400 * 400])
def test_a_time_falls_in_a_bin_whose_middle_is_within_five_percent_or_half_a_second(seconds):
    middle = bin_seconds(time_bin(round(seconds * 1000)))
    assert abs(middle - seconds) <= max(0.05 * seconds, 0.5)


def test_the_quantiles_of_binned_times_are_nearest_rank():
    bins = {time_bin(s * 1000): 1 for s in (10, 100, 1000, 10_000)}
    assert quantile(bins, 0.5) == pytest.approx(100, rel=0.05)  # the 2nd of 4
    assert quantile(bins, 0.9) == pytest.approx(10_000, rel=0.05)  # the 4th
    assert quantile({}, 0.5) is None
