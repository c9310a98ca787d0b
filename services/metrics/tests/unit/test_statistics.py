"""Every statistic metrics reports, on fixed data, against the hand-worked values of
docs/metrics.md and against scipy / statsmodels where they implement the same method."""

import itertools
import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from metrics.stats import compare, drivers, estimates, validation
from metrics.stats.charts import Baseline, Day, bernoulli_cusum, shift_cusum


def test_nps_interval_matches_the_hand_worked_check():
    result = estimates.nps(promoters=25, detractors=10, n=50)
    adjusted = estimates.adjusted_nps(25, 10, 50)
    assert result.value == 30
    assert round(100 * adjusted.score, 1) == 28.3
    assert (round(result.low, 1), round(result.high, 1)) == (7.3, 49.3)


def test_nps_interval_is_clipped_to_the_scale():
    result = estimates.nps(promoters=10, detractors=0, n=10)
    assert result.value == 100
    assert result.high == 100
    assert result.low > 40


def test_nps_interval_reaches_its_own_score_for_one_promoter():
    # The adjusted-Wald interval alone is 100 · (0.25 ± 1.96 · 0.375) = [-48.5, 98.5]: it
    # misses the score 100 it is shown beside, so it is widened to reach it.
    n_adj = 1 + 3
    p, d = 1.75 / n_adj, 0.75 / n_adj
    half = stats.norm.ppf(0.975) * math.sqrt((p + d - (p - d) ** 2) / n_adj)
    result = estimates.nps(promoters=1, detractors=0, n=1)
    assert round(100 * (p - d - half), 1) == -48.5
    assert result.value == 100
    assert result.low == pytest.approx(100 * (p - d - half))
    assert result.high == 100


SMALL_NPS_SAMPLES = [
    (p, d, n) for n in (1, 2, 3, 5) for p in range(n + 1) for d in range(n + 1 - p)
]


@pytest.mark.parametrize(("promoters", "detractors", "n"), SMALL_NPS_SAMPLES)
def test_every_nps_lies_inside_its_interval(promoters, detractors, n):
    result = estimates.nps(promoters, detractors, n)
    assert result.low <= result.value <= result.high


def test_nps_of_nothing_is_empty():
    assert estimates.nps(0, 0, 0) == estimates.Estimate(None, None, None, 0)


@pytest.mark.parametrize(("successes", "n"), [(0, 1), (1, 1), (30, 30), (1000, 1000), (0, 7)])
def test_every_share_lies_inside_its_interval(successes, n):
    # Wilson's interval holds the share in exact arithmetic; in floating point its upper end
    # for 30 of 30 came out at 99.99999999999999, below the 100 shown.
    result = estimates.wilson(successes, n)
    assert result.low <= result.value <= result.high


@pytest.mark.parametrize(("successes", "n"), [(0, 12), (7, 10), (41, 50), (987, 1000), (30, 30)])
def test_wilson_matches_statsmodels(successes, n):
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    result = estimates.wilson(successes, n)
    assert result.value == pytest.approx(100 * successes / n)
    assert result.low == pytest.approx(100 * low, abs=1e-9)
    assert result.high == pytest.approx(100 * high, abs=1e-9)


def _moments(answers):
    answers = np.asarray(answers, dtype=float)
    return answers.sum(), (answers**2).sum(), len(answers)


def _dirichlet_interval(answers, low, high, draws=200_000, seed=11):
    """The interval docs/metrics.md defines, by brute force: draw the shares of answers at
    each scale point from their Dirichlet posterior (Perks' prior: one answer spread evenly
    over the points) and take the 2.5% and 97.5% points of the mean they give."""
    points = np.arange(low, high + 1)
    counts = np.array([np.sum(np.asarray(answers) == v) for v in points])
    shares = np.random.default_rng(seed).dirichlet(counts + 1 / len(points), size=draws)
    return np.quantile(shares @ points, [0.025, 0.975])


@pytest.mark.parametrize(
    ("answers", "scale"),
    [
        ([5, 1], (1, 5)),
        ([4] * 40, (1, 7)),
        ([5] * 12, (1, 5)),
        ([5, 6, 7, 3, 4, 6, 6, 7, 2, 5, 5, 6], (1, 7)),
        ([1, 2, 2, 3, 5, 4, 4, 4, 5, 5, 3, 1, 2, 4, 5, 5, 4, 4, 3, 5], (1, 5)),
    ],
)
def test_mean_interval_matches_the_dirichlet_posterior_drawn(answers, scale):
    low, high = _dirichlet_interval(answers, *scale)
    result = estimates.mean(*_moments(answers), scale=scale)
    assert result.value == pytest.approx(np.mean(answers))
    # A Beta with the posterior's moments stands for the drawn distribution; at n = 2 on five
    # points the two differ by a few hundredths of a point of the scale.
    assert result.low == pytest.approx(min(low, np.mean(answers)), abs=0.06)
    assert result.high == pytest.approx(max(high, np.mean(answers)), abs=0.06)


def test_mean_interval_stays_on_the_scale():
    # Two answers, 5 and 1: the t-interval 3 ± 12.7 · 2 is [-22.4, 28.4] on a 1-5 scale.
    answers = np.array([5, 1], dtype=float)
    t_low, t_high = stats.t.interval(0.95, 1, loc=answers.mean(), scale=stats.sem(answers))
    assert (round(t_low, 1), round(t_high, 1)) == (-22.4, 28.4)
    result = estimates.mean(*_moments(answers), scale=(1, 5))
    assert result.value == 3
    assert 1 < result.low < 2 and 4 < result.high < 5


def test_identical_answers_do_not_give_a_zero_width_interval():
    # 40 answers of 4: s = 0, so the t-interval is [4, 4]. Forty alike leave room for up to
    # 3/40 of answers elsewhere (the rule of three): the mean within 4 ± 0.075 if they are
    # next to 4, 4 ± 0.225 if they are at an end of the 1-7 scale.
    result = estimates.mean(*_moments([4] * 40), scale=(1, 7))
    assert result.value == 4
    assert 3.85 < result.low < 3.95 and 4.05 < result.high < 4.15


def test_all_top_answers_reach_the_top_of_the_scale():
    result = estimates.mean(*_moments([5] * 12), scale=(1, 5))
    assert result.value == result.high == 5
    assert 4 < result.low < 4.6


def test_mean_interval_is_close_to_the_t_interval_with_many_answers():
    rng = np.random.default_rng(4)
    answers = rng.choice(np.arange(1, 8), size=400, p=[0.05, 0.05, 0.1, 0.2, 0.25, 0.2, 0.15])
    t_low, t_high = stats.t.interval(
        0.95, len(answers) - 1, loc=answers.mean(), scale=stats.sem(answers)
    )
    result = estimates.mean(*_moments(answers), scale=(1, 7))
    assert (result.low, result.high) == (
        pytest.approx(t_low, abs=0.02),
        pytest.approx(t_high, abs=0.02),
    )


@pytest.mark.parametrize("n", [5, 30])
def test_mean_interval_covers_the_true_mean_95_times_in_100(n):
    rng = np.random.default_rng(n)
    # A satisfied population on 1-5: skewed, where the t-interval covers 91% at n = 5.
    shares = [0.02, 0.03, 0.1, 0.45, 0.4]
    true_mean = float(np.dot(np.arange(1, 6), shares))
    samples = rng.choice(np.arange(1, 6), size=(4000, n), p=shares)
    covered = [
        (e := estimates.mean(*_moments(sample), scale=(1, 5))).low <= true_mean <= e.high
        for sample in samples
    ]
    assert 0.93 <= np.mean(covered) <= 0.99


def test_sums_no_answers_could_give_do_not_divide_by_zero():
    # 400 answers averaging 5 need a sum of squares of at least 10,000.
    result = estimates.mean(2000, 9000, 400, scale=(1, 7))
    assert result.low <= result.value == 5 <= result.high


def test_one_answer_has_a_mean_and_a_wide_interval():
    result = estimates.mean(6, 36, 1, scale=(1, 7))
    assert result.value == 6
    assert result.low < 3.5 and 6 < result.high < 7


def test_nps_difference_uses_the_adjusted_wald_variances():
    first, second = (25, 10, 50), (40, 30, 120)
    result = compare.nps_difference(first, second)

    def adjusted(p, d, n):
        n2 = n + 3
        pp, dd = (p + 0.75) / n2, (d + 0.75) / n2
        return pp - dd, (pp + dd - (pp - dd) ** 2) / n2

    s1, v1 = adjusted(*first)
    s2, v2 = adjusted(*second)
    z = (s2 - s1) / math.sqrt(v1 + v2)
    assert result.difference == pytest.approx(100 * (10 / 120 - 15 / 50))
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert result.low == pytest.approx(100 * (s2 - s1 - 1.959964 * math.sqrt(v1 + v2)), abs=1e-4)


def test_nps_difference_reaches_the_plain_difference():
    # One promoter, then one detractor: the plain change is -200; the adjusted-Wald interval
    # alone, 100 · (-0.5 ± 1.96 · 0.53), stops at -153.9.
    result = compare.nps_difference((1, 0, 1), (0, 1, 1))
    se = math.sqrt(2 * 0.5625 / 4)  # Var' = 0.4375 + 0.1875 - 0.25², n' = 4, each side
    assert round(100 * (-0.5 - stats.norm.ppf(0.975) * se), 1) == -153.9
    assert result.difference == -200
    assert result.low == -200
    assert result.high == pytest.approx(100 * (-0.5 + stats.norm.ppf(0.975) * se))


@pytest.mark.parametrize("first", [s for s in SMALL_NPS_SAMPLES if s[2] <= 2])
@pytest.mark.parametrize("second", [s for s in SMALL_NPS_SAMPLES if s[2] <= 2])
def test_every_nps_difference_lies_inside_its_interval(first, second):
    result = compare.nps_difference(first, second)
    assert -200 <= result.low <= result.difference <= result.high <= 200


@pytest.mark.parametrize(("first", "second"), [((41, 50), (30, 50)), ((830, 1000), (790, 950))])
def test_two_proportion_test_matches_statsmodels(first, second):
    _, p_value = proportions_ztest(
        [first[0], second[0]], [first[1], second[1]], alternative="two-sided"
    )
    result = compare.proportion_difference(first, second)
    assert result.p_value == pytest.approx(p_value)
    assert result.difference == pytest.approx(100 * (second[0] / second[1] - first[0] / first[1]))


@pytest.mark.parametrize(
    ("first", "second"),
    [((41, 50), (30, 50)), ((830, 1000), (790, 950)), ((30, 30), (30, 30)), ((0, 4), (3, 3))],
)
def test_proportion_difference_interval_is_newcombes(first, second):
    # Newcombe's hybrid score interval (his method 10), from the two Wilson intervals.
    low, high = confint_proportions_2indep(
        second[0], second[1], first[0], first[1], method="newcomb", compare="diff"
    )
    result = compare.proportion_difference(first, second)
    assert (result.low, result.high) == (
        pytest.approx(100 * low, abs=1e-9),
        pytest.approx(100 * high, abs=1e-9),
    )


def test_no_change_between_two_unanimous_periods_is_not_certain():
    # 30 of 30 satisfied, then 30 of 30 again: the Wald interval of the change is [0, 0].
    result = compare.proportion_difference((30, 30), (30, 30))
    assert result.difference == 0
    assert result.low < -10 and result.high > 10


def _mover(first, second, scale):
    """Zou and Donner's MOVER: the difference's interval from each mean's own interval."""
    a = estimates.mean(*_moments(first), scale=scale)
    b = estimates.mean(*_moments(second), scale=scale)
    d = b.value - a.value
    return (
        d - math.hypot(b.value - b.low, a.high - a.value),
        d + math.hypot(b.high - b.value, a.value - a.low),
    )


@pytest.mark.parametrize(
    ("first", "second", "scale"),
    [
        ([5, 1], [4, 2], (1, 5)),
        ([4] * 40, [4] * 40, (1, 7)),
        ([5] * 12, [1, 2, 2, 3, 5, 4, 4, 4, 5, 5, 3, 1], (1, 5)),
        ([5, 6, 7, 3, 4, 6, 6, 7, 2, 5, 5, 6], [3, 4, 2, 5, 3, 4, 1, 4, 6, 3], (1, 7)),
    ],
)
def test_mean_difference_interval_combines_the_two_means_intervals(first, second, scale):
    result = compare.mean_difference(_moments(first), _moments(second), scale=scale)
    width = scale[1] - scale[0]
    assert result.difference == pytest.approx(np.mean(second) - np.mean(first))
    assert (result.low, result.high) == tuple(
        pytest.approx(x) for x in _mover(first, second, scale)
    )
    assert -width <= result.low < result.difference < result.high <= width


def test_mean_difference_of_two_answers_each_stays_within_the_scale():
    # (5, 1) then (4, 2) on 1-5: Welch's interval is [-13.8, 13.8], past the ±4 possible.
    a, b = np.array([5, 1.0]), np.array([4, 2.0])
    welch = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert welch.low < -4 and welch.high > 4
    result = compare.mean_difference(_moments(a), _moments(b), scale=(1, 5))
    assert -4 < result.low < 0 < result.high < 4


def test_mean_difference_p_value_is_welchs_on_the_raw_answers():
    a = np.array([5, 6, 7, 3, 4, 6, 6, 7, 2, 5, 5, 6], dtype=float)
    b = np.array([3, 4, 2, 5, 3, 4, 1, 4, 6, 3], dtype=float)
    expected = stats.ttest_ind(b, a, equal_var=False)
    result = compare.mean_difference(_moments(a), _moments(b), scale=(1, 7))
    assert result.difference == pytest.approx(b.mean() - a.mean())
    assert result.p_value == pytest.approx(expected.pvalue)


def test_benjamini_hochberg_matches_statsmodels():
    p_values = [0.001, 0.04, 0.03, 0.2, 0.012, 0.049, 0.8]
    _, expected, _, _ = multipletests(p_values, alpha=0.05, method="fdr_bh")
    adjusted = compare.benjamini_hochberg([*p_values[:3], None, *p_values[3:]])
    assert adjusted[3] is None
    assert [a for a in adjusted if a is not None] == pytest.approx(list(expected))


def _correlations(x, y):
    data = np.column_stack([x, y])
    r = np.corrcoef(data, rowvar=False)
    return r[:-1, :-1], r[:-1, -1]


def _ols_r2(x, y):
    return sm.OLS(y, sm.add_constant(x)).fit().rsquared


@pytest.fixture
def survey_like():
    rng = np.random.default_rng(7)
    n = 400
    base = rng.normal(size=n)
    x = np.column_stack(
        [
            base + rng.normal(size=n),
            0.6 * base + rng.normal(size=n),
            rng.normal(size=n),
            0.3 * base + rng.normal(size=n),
        ]
    )
    y = 1.2 * x[:, 0] + 0.5 * x[:, 1] + 0.1 * x[:, 2] + rng.normal(scale=2, size=n)
    return x, y


def test_shapley_matches_brute_force_ols(survey_like):
    x, y = survey_like
    p = x.shape[1]
    r2 = {
        s: (_ols_r2(x[:, list(s)], y) if s else 0.0)
        for k in range(p + 1)
        for s in itertools.combinations(range(p), k)
    }
    expected = []
    for j in range(p):
        others = [k for k in range(p) if k != j]
        total = 0.0
        for k in range(p):
            weight = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
            for s in itertools.combinations(others, k):
                total += weight * (r2[tuple(sorted((*s, j)))] - r2[s])
        expected.append(total)
    result = drivers.shapley(*_correlations(x, y))
    assert result.weights == pytest.approx(expected, abs=1e-9)
    assert result.r_squared == pytest.approx(_ols_r2(x, y))


def test_relative_weights_sum_to_r2_and_agree_with_shapley(survey_like):
    x, y = survey_like
    rw = drivers.relative_weights(*_correlations(x, y))
    sh = drivers.shapley(*_correlations(x, y))
    assert rw.r_squared == pytest.approx(_ols_r2(x, y))
    assert rw.weights == pytest.approx(sh.weights, abs=0.01)
    assert max(range(4), key=lambda j: rw.weights[j]) == 0


def test_the_bootstrap_is_seeded(survey_like):
    x, y = survey_like
    data = np.column_stack([x, y])
    groups = [[0, 1, 2, 3]]
    one = drivers.bootstrap_linear(data, groups, replicates=20, seed=4)
    two = drivers.bootstrap_linear(data, groups, replicates=20, seed=4)
    assert np.array_equal(one.importance, two.importance)
    [(low, high), *_] = one.intervals(one.importance)
    assert low is not None and high is not None
    assert low < drivers.shapley(*_correlations(x, y)).weights[0] < high


def test_the_bootstrap_work_is_bounded_as_the_data_grow():
    assert drivers.replicates_for(150, 3) == drivers.BOOTSTRAP_REPLICATES
    demo = drivers.replicates_for(3469, 40)
    assert demo == 108  # as docs/metrics.md says
    assert demo * 3469 * 40**2 <= drivers.BOOTSTRAP_WORK
    assert drivers.replicates_for(100_000, 40) == drivers.MIN_BOOTSTRAP_REPLICATES


def test_relative_weights_of_uncorrelated_drivers_are_squared_correlations():
    rxx = np.eye(3)
    rxy = np.array([0.5, 0.3, 0.1])
    assert drivers.relative_weights(rxx, rxy).weights == pytest.approx([0.25, 0.09, 0.01])


def test_pairwise_correlations_use_the_rows_where_both_are_present():
    data = np.array([[1, 2, np.nan], [2, 4, 1], [3, 5, 2], [4, 9, np.nan], [5, 8, 0]], dtype=float)
    r, shared = drivers.pairwise(data)
    rows = ~np.isnan(data[:, 2])
    assert r[0, 1] == pytest.approx(np.corrcoef(data[:, 0], data[:, 1])[0, 1], abs=1e-9)
    assert r[0, 2] == pytest.approx(np.corrcoef(data[rows, 0], data[rows, 2])[0, 1], abs=1e-9)
    assert shared[0, 1] == 5 and shared[0, 2] == shared[1, 2] == 3


def test_pairwise_weights_count_a_row_as_often_as_it_was_drawn():
    rng = np.random.default_rng(2)
    data = rng.normal(size=(40, 3))
    data[rng.random((40, 3)) < 0.3] = np.nan
    counts = rng.multinomial(40, np.full(40, 1 / 40)).astype(float)
    weighted, _ = drivers.pairwise(data, counts)
    repeated, _ = drivers.pairwise(np.repeat(data, counts.astype(int), axis=0))
    assert weighted == pytest.approx(repeated, abs=1e-9, nan_ok=True)


def test_a_pair_without_customers_in_common_has_no_correlation_not_zero():
    data = np.array([[1, np.nan], [2, np.nan], [3, np.nan], [np.nan, 1], [np.nan, 5]] * 10)
    r, shared = drivers.pairwise(data)
    assert np.isnan(r[0, 1]) and shared[0, 1] == 0


def test_drivers_are_fitted_together_only_where_every_pair_was_compared():
    compared = np.full((5, 5), 100.0)
    # 0, 1: a pair; 2, 3, 4: a chain in which 2 and 4 share too few customers.
    compared[np.ix_([0, 1], [2, 3, 4])] = compared[np.ix_([2, 3, 4], [0, 1])] = 0
    compared[2, 4] = compared[4, 2] = drivers.MIN_SHARED_CUSTOMERS - 1
    plan = drivers.plan(np.zeros((5, 5)), compared)
    assert plan.groups == [[0, 1], [2], [3], [4]]
    assert (2, 4) in plan.unpaired and (0, 2) in plan.unpaired and (0, 1) not in plan.unpaired


def test_logistic_fit_matches_statsmodels(survey_like):
    x, _ = survey_like
    rng = np.random.default_rng(3)
    eta = -0.5 + 0.9 * x[:, 0] - 0.4 * x[:, 2]
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-eta))).astype(float)
    expected = sm.Logit(y, sm.add_constant(x)).fit(disp=0).params
    assert drivers.logistic_fit(x, y) == pytest.approx(expected, abs=1e-6)


def test_logistic_relative_weights_rank_the_true_driver_first(survey_like):
    x, _ = survey_like
    rng = np.random.default_rng(5)
    eta = -1 + 1.5 * x[:, 2]
    y = (rng.random(len(eta)) < 1 / (1 + np.exp(-eta))).astype(float)
    result = drivers.logistic_relative_weights(x, y)
    assert max(range(4), key=lambda j: result.weights[j]) == 2
    assert result.shares[2] > 0.7


def _days(means, n=50, sd=70.0, rng=None):
    """NPS-like days: per-response scores 100 / 0 / -100 with the given daily means."""
    out = []
    for m in means:
        p = 0.5 + m / 200 - 0.2
        d = p - m / 100
        promoters, detractors = round(p * n), round(d * n)
        out.append(
            Day(n, 100.0 * (promoters - detractors), 1e4 * (promoters + detractors), detractors)
        )
    return out


def test_shift_cusum_follows_its_recursion_and_signals_a_persistent_drop():
    baseline = Baseline.of(_days([30] * 90), span_days=90)
    stable = shift_cusum(_days([30] * 28), baseline, shift_se=0.9, h=4.25)
    dropped = shift_cusum(_days([30] * 14 + [15] * 14), baseline, shift_se=0.9, h=4.25)
    assert not stable.signal and stable.statistic == 0
    assert dropped.signal
    delta = 0.9 / math.sqrt(50)
    s = 0.0
    for day in _days([30] * 14 + [15] * 14):
        below = (baseline.mean - day.total / day.n) / baseline.sd
        s = max(0.0, s + day.n * delta * (below - delta / 2))
    assert dropped.statistic == pytest.approx(s)
    # Each day of a lasting drop adds to the sum: a longer drop never lowers it.
    longer = shift_cusum(_days([30] * 7 + [15] * 21), baseline, shift_se=0.9, h=4.25)
    assert longer.statistic > dropped.statistic


def test_bernoulli_cusum_accumulates_excess_bad_answers():
    baseline = Baseline.of([Day(3, 0, 0, 1)] * 90, span_days=90)
    assert baseline.bad_rate == pytest.approx(1 / 3)
    calm = bernoulli_cusum([Day(3, 0, 0, 1)] * 28, baseline, odds_ratio=2, h=4)
    worse = bernoulli_cusum([Day(3, 0, 0, 3)] * 10, baseline, odds_ratio=2, h=4)
    assert not calm.signal
    assert worse.signal
    p0, p1 = 1 / 3, 2 * (1 / 3) / (2 / 3 + 2 / 3)
    assert worse.statistic == pytest.approx(30 * math.log(p1 / p0))


def test_a_bounded_mean_is_the_t_interval_clipped_to_its_bounds():
    values = [0.9, 0.7, -0.2, 0.4, 0.95]
    got = estimates.bounded_mean(
        sum(values), sum(v * v for v in values), len(values), bounds=(-1, 1)
    )
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values)
    )
    assert got.value == pytest.approx(np.mean(values))
    assert got.low == pytest.approx(low) and high > 1 and got.high == 1
    one = estimates.bounded_mean(0.5, 0.25, 1, bounds=(-1, 1))
    assert (one.value, one.low, one.high) == (0.5, None, None)


def test_brier_score_and_its_paired_bootstrap_difference():
    y = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0], dtype=float)
    good = np.array([0.9, 0.1, 0.2, 0.7, 0.1, 0.3, 0.2, 0.8, 0.1, 0.2])
    flat = np.full(10, 0.3)
    assert validation.brier(good, y) == pytest.approx(np.mean((good - y) ** 2))
    assert validation.brier(flat, y) == pytest.approx(0.21)
    difference = validation.paired_bootstrap(
        (flat - y) ** 2, (good - y) ** 2, replicates=2000, seed=1
    )
    assert difference.value == pytest.approx(0.21 - validation.brier(good, y))
    assert 0 < difference.low < difference.value < difference.high
    # Seeded: the same data give the same interval; two forecasts alike give one around 0.
    again = validation.paired_bootstrap((flat - y) ** 2, (good - y) ** 2, replicates=2000, seed=1)
    assert again == difference
    same = validation.paired_bootstrap((flat - y) ** 2, (flat - y) ** 2, replicates=200, seed=1)
    assert (same.value, same.low, same.high) == (0, 0, 0)


def test_calibration_bins_hold_equal_shares_of_customers_by_probability():
    rng = np.random.default_rng(4)
    p = rng.uniform(0, 0.6, 300)
    y = (rng.uniform(size=300) < p).astype(float)
    bins = validation.calibration_bins(p, y)
    assert len(bins) == 10 and all(b["customers"] == 30 for b in bins)
    order = np.argsort(p, kind="stable")
    for k, b in enumerate(bins):
        members = order[30 * k : 30 * (k + 1)]
        assert b["predicted"] == pytest.approx(p[members].mean())
        low, high = proportion_confint(int(y[members].sum()), 30, method="wilson")
        assert (b["observed_low"], b["observed_high"]) == (pytest.approx(low), pytest.approx(high))
    assert len(validation.calibration_bins(p[:100], y[:100])) == 3  # 30 or more each
    assert len(validation.calibration_bins(p[:10], y[:10])) == 1


def test_calibration_line_matches_statsmodels():
    rng = np.random.default_rng(8)
    truth = rng.uniform(0.02, 0.9, 800)
    y = (rng.uniform(size=800) < truth).astype(float)
    # A forecast too sure of itself: its log-odds twice the truth's.
    logit = np.log(truth / (1 - truth))
    overconfident = 1 / (1 + np.exp(-2 * logit))
    intercept, slope = validation.calibration_line(overconfident, y)
    reference = sm.Logit(y, sm.add_constant(2 * logit)).fit(disp=0).params
    assert (intercept, slope) == (pytest.approx(reference[0]), pytest.approx(reference[1]))
    assert 0.35 < slope < 0.65


def test_the_normal_distribution_without_scipy_gives_scipys_doubles():
    """Z_95 and two-sided normal p-values come from the standard library (the service starts
    without scipy): the same doubles as scipy.special, far tails included."""
    from scipy.special import ndtr, ndtri

    from metrics.stats.estimates import Z_95, two_sided_normal

    assert float(ndtri(0.975)) == Z_95
    for z in (0.0, 0.1, 1.0, 1.959963984540054, -2.5, 3.5, 8.0, 20.0, 37.0):
        expected = 2 * float(ndtr(-abs(z)))
        assert two_sided_normal(z) == pytest.approx(expected, rel=1e-12, abs=0)
