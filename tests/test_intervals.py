"""Confidence intervals and significance tests, against the reference packages' published test
data and against hand computations."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from tees_dataset.compute.intervals import (
    Z95,
    byars,
    compare_with,
    counts_differ_p,
    exact_poisson,
    newcombe_difference,
    orient,
    poisson_interval,
    rate_interval,
    wilson,
)

# PHEindicatormethods computes its 99.8% intervals with z = qnorm(0.999).
Z998 = NormalDist().inv_cdf(0.999)
REL = 1e-9


def test_z95_is_the_975th_percentile_of_the_normal() -> None:
    assert NormalDist().cdf(Z95) == pytest.approx(0.975, abs=1e-15)
    assert NormalDist().cdf(Z998) == pytest.approx(0.999, abs=1e-15)


# --- Wilson -------------------------------------------------------------------------------------
# github:ukhsa-collaboration/PHEindicatormethods, tests/testthat/testdata_Proportion.xlsx (sheet
# testdata_Prop: Numerator, Denominator, lower95_0cl, upper95_0cl, lower99_8cl, upper99_8cl) and
# tests/testthat/testdata_Byars_Wilson.xlsx (sheet testdata_B_W, method "Wilson").
PHE_PROPORTIONS = [
    (1, 100, 0.0017674320641406511, 0.054486196178705294, 0.000873065697299977, 0.1045544528370582),
    (5, 100, 0.02154367915436798, 0.11175046923191911, 0.013865320725997183, 0.16458852282596442),
    (20, 100, 0.1333669333310325, 0.28882916559315885, 0.10519162066711432, 0.3471109417008601),
    (65, 100, 0.5525444329688797, 0.7363575175690247, 0.4954946574070431, 0.7783540614089697),
    (9856, 12345, 0.7912101752909069, 0.8053640073614909, 0.7869924108419063, 0.8093061412589626),
    (
        222,
        3215,
        0.060791690363636595,
        0.07833956681383633,
        0.05647101964624248,
        0.08418414185270134,
    ),
    (999, 3456, 0.27418951080009873, 0.30440389662818057, 0.26583995768074953, 0.3134475449279985),
    (
        7776456,
        7564336677,
        0.0010273201001641094,
        0.0010287644578977231,
        0.0010269040118442213,
        0.0010291812992698397,
    ),
    # testdata_B_W: a fractional numerator, 0.445 of 1.
    (0.445, 1, 0.04381744772058822, 0.9334621276979156, 0.019347006132900975, 0.9702259947019541),
    (
        1045,
        5000,
        0.19795549880013297,
        0.22049130373189027,
        0.19179381799015244,
        0.22731562902525818,
    ),
]


@pytest.mark.parametrize(("x", "n", "lo95", "hi95", "lo998", "hi998"), PHE_PROPORTIONS)
def test_wilson_matches_phe_indicator_methods(
    x: float, n: float, lo95: float, hi95: float, lo998: float, hi998: float
) -> None:
    assert wilson(x, n) == pytest.approx((lo95, hi95), rel=REL)
    assert wilson(x, n, Z998) == pytest.approx((lo998, hi998), rel=REL)


def test_wilson_ends_are_exact_at_zero_and_all() -> None:
    lower, upper = wilson(0, 10)
    assert lower == 0.0
    # x = 0: the upper limit is z²/(n + z²).
    assert upper == pytest.approx(Z95**2 / (10 + Z95**2), rel=1e-12)
    # Newcombe (1998) Table I gives 0/10 as 0.0000 to 0.2775.
    assert upper == pytest.approx(0.2775, abs=5e-5)
    lower, upper = wilson(10, 10)
    assert upper == 1.0
    assert lower == pytest.approx(10 / (10 + Z95**2), rel=1e-12)


def test_wilson_is_symmetric_in_successes_and_failures() -> None:
    lower, upper = wilson(3, 17)
    mirror_lower, mirror_upper = wilson(14, 17)
    assert lower == pytest.approx(1 - mirror_upper, rel=1e-12)
    assert upper == pytest.approx(1 - mirror_lower, rel=1e-12)


@pytest.mark.parametrize(("x", "n"), [(1, 0), (0, 0), (1, -5), (-1, 10), (11, 10), (math.nan, 10)])
def test_wilson_refuses_impossible_proportions(x: float, n: float) -> None:
    with pytest.raises(ValueError):
        wilson(x, n)


# --- Byar's and exact Poisson -----------------------------------------------------------------
# github:ukhsa-collaboration/PHEindicatormethods, tests/testthat/testdata_Byars_Wilson.xlsx,
# sheet testdata_B_W, method "Byars" (byars_lower / byars_upper applied to any count).
PHE_BYARS = [
    (65, Z95, 50.163187710459454, 82.84913854593984),
    (1045, Z95, 982.5932018073325, 1110.33121298565),
    (1, Z95, 0.01307213290150435, 5.5637555824752605),
    (65, Z998, 42.8802614714802, 94.00029084431802),
    (1045, Z998, 947.9407035610374, 1148.806160988033),
    (10, Z998, 2.916318374695686, 24.193724927880535),
]


@pytest.mark.parametrize(("count", "z", "lower", "upper"), PHE_BYARS)
def test_byars_matches_phe_indicator_methods(
    count: float, z: float, lower: float, upper: float
) -> None:
    assert byars(count, z) == pytest.approx((lower, upper), rel=REL)


# github:ukhsa-collaboration/PHEindicatormethods, tests/testthat/testdata_Rate.xlsx, sheets
# testdata_Rate (95% and 99.8%) and testdata_Rate_g (95%): phe_rate's count, population,
# multiplier and limits; counts below 10 are its "Exact" method, the rest "Byars".
PHE_RATES = [
    (1, 100, 100, Z95, 0.025317807984289897, 5.571643390938898),
    (5, 100, 100, Z95, 1.62348639011842, 11.668332079322669),
    (20, 100, 100, Z95, 12.211428834875937, 30.889880369197066),
    (9856, 12345, 100, Z95, 78.26949058976757, 81.4300165427214),
    (222, 3215, 100, Z95, 6.026574877652675, 7.87572937087185),
    (1, 100, 100, Z998, 0.0010005003335835344, 9.233413476451585),
    (5, 100, 100, Z998, 0.739371731917839, 16.454745203680105),
    (20, 100, 100, Z998, 8.922802365144193, 38.08503562504191),
    (1, 100, 100_000, Z95, 25.317807984289896, 5571.643390938898),
    (5, 100, 100_000, Z95, 1623.4863901184199, 11668.332079322669),
    (250, 220, 100_000, Z95, 99984.94738532876, 128631.14487455782),
    (7776456, 7564336677, 100_000, Z95, 102.73196005302074, 102.87648334092832),
    (2, 200, 100_000, Z95, 121.10463927198258, 3612.3438338619794),
    (10, 200, 100_000, Z95, 2393.7249569837822, 9195.729302878237),
]


@pytest.mark.parametrize(("count", "population", "per", "z", "lower", "upper"), PHE_RATES)
def test_rate_interval_matches_phe_rate(
    count: float, population: float, per: float, z: float, lower: float, upper: float
) -> None:
    assert rate_interval(count, population, per, z) == pytest.approx((lower, upper), rel=REL)


def test_rate_interval_defaults_to_per_10000() -> None:
    # PHE's 20 of 100 per 100 (testdata_Rate), per 10,000 instead: 100 times as large.
    assert rate_interval(20, 100) == pytest.approx(
        (1221.1428834875937, 3088.9880369197066), rel=REL
    )


def _poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean), summed term by term."""
    return sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k + 1))


def test_count_zero_has_lower_limit_zero_and_upper_minus_log_alpha_half() -> None:
    # chi-square(0.975; 2)/2 = -ln(0.025) = ln 40.
    assert poisson_interval(0) == pytest.approx((0.0, math.log(40)), rel=1e-9)
    assert poisson_interval(0)[0] == 0.0


def test_count_one_exact_lower_limit_is_minus_log_0975() -> None:
    # chi-square(0.025; 2)/2 = -ln(0.975).
    assert poisson_interval(1)[0] == pytest.approx(-math.log(0.975), rel=1e-9)


def test_nine_events_use_the_exact_interval() -> None:
    lower, upper = poisson_interval(9)
    # The exact limits' defining property, by the Poisson sum: P(X >= 9 | lower) = 0.025 and
    # P(X <= 9 | upper) = 0.025.
    assert 1 - _poisson_cdf(8, lower) == pytest.approx(0.025, abs=1e-10)
    assert _poisson_cdf(9, upper) == pytest.approx(0.025, abs=1e-10)
    # Byar's would give a lower limit about 0.2% lower.
    assert lower != pytest.approx(byars(9)[0], rel=1e-3)


def test_ten_events_use_byars() -> None:
    lower, upper = poisson_interval(10)
    # Byar's formulae worked by hand for O = 10.
    assert lower == pytest.approx(10 * (1 - 1 / 90 - Z95 / (3 * math.sqrt(10))) ** 3, rel=1e-12)
    assert upper == pytest.approx(11 * (1 - 1 / 99 + Z95 / (3 * math.sqrt(11))) ** 3, rel=1e-12)
    # And not the exact interval, whose lower limit is about 0.2% higher.
    assert lower != pytest.approx(exact_poisson(10)[0], rel=1e-3)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6, 7, 8])
def test_exact_limits_have_tail_probability_alpha_half(count: int) -> None:
    lower, upper = exact_poisson(count)
    assert 1 - _poisson_cdf(count - 1, lower) == pytest.approx(0.025, abs=1e-10)
    assert _poisson_cdf(count, upper) == pytest.approx(0.025, abs=1e-10)


@pytest.mark.parametrize("count", [-1, math.inf, math.nan])
def test_poisson_interval_refuses_impossible_counts(count: float) -> None:
    with pytest.raises(ValueError):
        poisson_interval(count)


def test_rate_interval_refuses_an_empty_population() -> None:
    with pytest.raises(ValueError):
        rate_interval(3, 0)


# --- Newcombe ---------------------------------------------------------------------------------
# Newcombe RG (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17:873-890, Table II, method 10 (score,
# no continuity correction), to 4 decimals; as transcribed in github:DeepPSP/DBCI,
# test/test-data/newcombee.csv (row "wilson").
NEWCOMBE_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "lower", "upper"), NEWCOMBE_TABLE_II)
def test_newcombe_matches_table_ii(
    x1: int, n1: int, x2: int, n2: int, lower: float, upper: float
) -> None:
    assert newcombe_difference(x1, n1, x2, n2) == pytest.approx((lower, upper), abs=5e-5)


def test_newcombe_swapping_the_groups_negates_the_interval() -> None:
    lower, upper = newcombe_difference(56, 70, 48, 80)
    assert newcombe_difference(48, 80, 56, 70) == pytest.approx((-upper, -lower), rel=1e-12)


# --- Conditional binomial test ----------------------------------------------------------------
def test_equal_exposures_ten_against_two() -> None:
    # Given 12 events, o1 ~ Binomial(12, 1/2); P(o1 = 10) = 66/4096. The outcomes no more
    # likely: 0, 1, 2, 10, 11, 12, with 1 + 12 + 66 + 66 + 12 + 1 = 158 of 4096.
    assert counts_differ_p(10, 2) == pytest.approx(158 / 4096, rel=1e-12)
    assert counts_differ_p(2, 10) == pytest.approx(158 / 4096, rel=1e-12)


def test_unequal_exposures() -> None:
    # Exposures 1 and 2: o1 ~ Binomial(3, 1/3), probabilities 8, 12, 6, 1 (of 27) for 0..3.
    assert counts_differ_p(3, 0, 1, 2) == pytest.approx(1 / 27, rel=1e-12)
    assert counts_differ_p(0, 3, 1, 2) == pytest.approx((8 + 6 + 1) / 27, rel=1e-12)
    assert counts_differ_p(2, 1, 1, 2) == pytest.approx((6 + 1) / 27, rel=1e-12)
    # The most likely outcome: every outcome is no more likely, p = 1.
    assert counts_differ_p(1, 2, 1, 2) == pytest.approx(1.0, rel=1e-12)


def test_rates_scaled_by_exposure_do_not_differ() -> None:
    # 5 in 1,000 against 10 in 2,000: o1 ~ Binomial(15, 1/3), and 5 is its most likely value.
    assert counts_differ_p(5, 10, 1000, 2000) == pytest.approx(1.0, rel=1e-12)


def test_no_events_at_all() -> None:
    assert counts_differ_p(0, 0) == 1.0


@pytest.mark.parametrize(
    ("o1", "o2", "e1", "e2"), [(-1, 3, 1, 1), (1.5, 3, 1, 1), (1, 3, 0, 1), (1, 3, 1, -2)]
)
def test_counts_differ_refuses_impossible_arguments(
    o1: float, o2: float, e1: float, e2: float
) -> None:
    with pytest.raises(ValueError):
        counts_differ_p(o1, o2, e1, e2)


# --- Comparison with a benchmark --------------------------------------------------------------
@pytest.mark.parametrize(
    ("interval", "benchmark", "expected"),
    [
        ((12.0, 18.0), 10.0, "higher"),
        ((12.0, 18.0), 20.0, "lower"),
        ((12.0, 18.0), 15.0, "similar"),
        # An interval that only touches the benchmark does not exclude it.
        ((12.0, 18.0), 12.0, "similar"),
        ((12.0, 18.0), 18.0, "similar"),
    ],
)
def test_compare_with(interval: tuple[float, float], benchmark: float, expected: str) -> None:
    assert compare_with(interval, benchmark) == expected


def test_compare_with_refuses_a_reversed_interval() -> None:
    with pytest.raises(ValueError):
        compare_with((18.0, 12.0), 15.0)


@pytest.mark.parametrize(
    ("direction", "polarity", "expected"),
    [
        ("higher", "higher_is_better", "better"),
        ("lower", "higher_is_better", "worse"),
        ("higher", "lower_is_better", "worse"),
        ("lower", "lower_is_better", "better"),
        ("higher", "neither", "higher"),
        ("lower", "neither", "lower"),
        ("similar", "higher_is_better", "similar"),
    ],
)
def test_orient(direction: str, polarity: str, expected: str) -> None:
    assert orient(direction, polarity) == expected


def test_orient_refuses_an_unknown_polarity() -> None:
    with pytest.raises(ValueError):
        orient("higher", "up")
