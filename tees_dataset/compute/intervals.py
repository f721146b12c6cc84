"""Confidence intervals and significance tests for the pack, as OHID Fingertips computes them.

The methods and their edge cases follow the R package PHEindicatormethods (UKHSA/OHID):

* a proportion: the Wilson score interval (`wilson`; PHEindicatormethods' `phe_proportion`,
  `wilson_lower` and `wilson_upper`), with the lower limit exactly 0 when x = 0 and the upper
  exactly 1 when x = n;
* a count, or a crude rate: Byar's approximation for 10 events or more (`byars`; its
  `byars_lower` and `byars_upper`), and the exact Poisson interval from chi-square quantiles
  below 10 (`exact_poisson`), as `phe_rate` chooses between them (`poisson_interval`,
  `rate_interval`);
* a local figure against a benchmark (England's, say): Fingertips treats the benchmark as fixed
  and calls the local figure significantly higher or lower when its interval excludes it
  (`compare_with`), which a polarity turns into better or worse (`orient`).

For a change between two periods, or a gap between two areas (not overlapping intervals, which
are far too conservative):

* two proportions: Newcombe's hybrid score interval for p1 - p2, method 10 of Newcombe (1998),
  "Interval estimation for the difference between independent proportions: comparison of
  eleven methods", Statistics in Medicine 17:873-890 (`newcombe_difference`); the difference
  is significant when the interval excludes 0;
* two counts: the conditional binomial exact test that two Poisson counts have the same rate
  (`counts_differ_p`), as R's `poisson.test` does for two samples.

Pure and dependency-free (the standard library's `math` only): the chi-square quantiles are
gamma quantiles, found by bisection on the regularised incomplete gamma function. Limits are
fractions (0 to 1) for proportions, and counts or rates otherwise; callers multiply
proportions by 100 for percentages.
"""

from __future__ import annotations

import functools
import math

__all__ = [
    "BYARS_MIN_COUNT",
    "Z95",
    "byars",
    "compare_with",
    "counts_differ_p",
    "exact_poisson",
    "newcombe_difference",
    "orient",
    "poisson_interval",
    "rate_interval",
    "wilson",
]

# The standard normal quantile for a two-sided 95% interval, qnorm(0.975).
Z95 = 1.959963984540054

# phe_rate uses Byar's method from this many events up, the exact interval below it.
BYARS_MIN_COUNT = 10

POLARITIES = ("higher_is_better", "lower_is_better", "neither")

# Ties in the exact test: outcomes whose probability is within this relative tolerance of the
# observed one count as equally likely (as R's binom.test does, to absorb rounding).
_TIE_TOLERANCE = 1 + 1e-7


def _check_z(z: float) -> None:
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a positive number, not {z!r}")


def _alpha(z: float) -> float:
    """The two-sided significance level of a z: 2 * (1 - Phi(z))."""
    return math.erfc(z / math.sqrt(2.0))


def wilson(x: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a proportion x of n, as fractions from 0 to 1.

    `(p + z²/2n ± z·√(p(1-p)/n + z²/4n²)) / (1 + z²/n)` with p = x/n, written as
    PHEindicatormethods writes it. The lower limit is exactly 0 when x = 0, the upper exactly
    1 when x = n. x need not be a whole number (PHEindicatormethods allows that too).
    """
    _check_z(z)
    if not (math.isfinite(n) and n > 0):
        raise ValueError(f"the denominator must be positive, not {n!r}")
    if not (math.isfinite(x) and 0 <= x <= n):
        raise ValueError(f"the numerator must be from 0 to the denominator ({n!r}), not {x!r}")
    z2 = z * z
    root = z * math.sqrt(z2 + 4 * x * (1 - x / n))
    lower = 0.0 if x == 0 else (2 * x + z2 - root) / 2 / (n + z2)
    upper = 1.0 if x == n else (2 * x + z2 + root) / 2 / (n + z2)
    return lower, upper


def _check_count(count: float) -> None:
    if not (math.isfinite(count) and count >= 0):
        raise ValueError(f"a count must be zero or more, not {count!r}")


def byars(count: float, z: float = Z95) -> tuple[float, float]:
    """Byar's approximate interval for a Poisson count (PHEindicatormethods' `byars_lower` and
    `byars_upper`): `O·(1 - 1/(9O) - z/(3√O))³` to `(O+1)·(1 - 1/(9(O+1)) + z/(3√(O+1)))³`.

    `poisson_interval` uses it only from 10 events up; below that it is inaccurate. A lower
    limit the formula makes negative (very small counts, very wide intervals) is 0, and so is
    the lower limit of a count of 0.
    """
    _check_z(z)
    _check_count(count)
    if count == 0:
        lower = 0.0
    else:
        lower = max(0.0, count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3)
    after = count + 1
    upper = after * (1 - 1 / (9 * after) + z / (3 * math.sqrt(after))) ** 3
    return lower, upper


def _lower_gamma_regularised(a: float, x: float) -> float:
    """P(a, x): the regularised lower incomplete gamma function, for a > 0 and x >= 0.

    The series for x < a + 1 and the continued fraction (modified Lentz) for Q = 1 - P
    otherwise, each to double precision (Numerical Recipes, 6.2).
    """
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        k = a
        for _ in range(10_000):
            k += 1
            term *= x / k
            total += term
            if abs(term) < abs(total) * 1e-17:
                break
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-17:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


def _gamma_quantile(shape: float, probability: float) -> float:
    """The x at which P(shape, x) = probability (a gamma quantile, scale 1), by bisection.

    chi-square(probability; 2k) / 2 is this quantile with shape k.
    """
    low, high = 0.0, max(1.0, shape)
    while _lower_gamma_regularised(shape, high) < probability:
        low, high = high, high * 2
    for _ in range(400):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if _lower_gamma_regularised(shape, middle) < probability:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def exact_poisson(count: float, z: float = Z95) -> tuple[float, float]:
    """The exact Poisson interval for a count: `chi²(alpha/2; 2O)/2` to `chi²(1-alpha/2; 2O+2)/2`,
    where alpha = 2·(1 - Phi(z)) (0.05 for `Z95`), as `phe_rate` computes it below 10 events.
    The lower limit of a count of 0 is 0.
    """
    _check_z(z)
    _check_count(count)
    alpha = _alpha(z)
    lower = 0.0 if count == 0 else _gamma_quantile(count, alpha / 2)
    upper = _gamma_quantile(count + 1, 1 - alpha / 2)
    return lower, upper


def poisson_interval(count: float, z: float = Z95) -> tuple[float, float]:
    """The interval for a count as PHEindicatormethods' `phe_rate` gives it: Byar's method
    for 10 events or more, the exact Poisson interval for fewer."""
    if count >= BYARS_MIN_COUNT:
        return byars(count, z)
    return exact_poisson(count, z)


def rate_interval(
    count: float, population: float, per: float = 10_000.0, z: float = Z95
) -> tuple[float, float]:
    """The interval for a crude rate per `per` of a population: `poisson_interval` of the count,
    divided by the population and multiplied by `per`."""
    if not (math.isfinite(population) and population > 0):
        raise ValueError(f"the population must be positive, not {population!r}")
    lower, upper = poisson_interval(count, z)
    return lower / population * per, upper / population * per


def newcombe_difference(
    x1: float, n1: float, x2: float, n2: float, z: float = Z95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10, no continuity correction) for p1 - p2,
    where p1 = x1/n1 and p2 = x2/n2 are independent proportions.

    With (l1, u1) and (l2, u2) the Wilson intervals of the two proportions and d = p1 - p2:
    lower `d - √((p1 - l1)² + (u2 - p2)²)`, upper `d + √((u1 - p1)² + (p2 - l2)²)`. The
    difference is significant when the interval excludes 0.
    """
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    p1, p2 = x1 / n1, x2 / n2
    difference = p1 - p2
    lower = difference - math.hypot(p1 - l1, u2 - p2)
    upper = difference + math.hypot(u1 - p1, p2 - l2)
    return max(-1.0, lower), min(1.0, upper)


def _whole_count(value: float, name: str) -> int:
    if not (math.isfinite(value) and value >= 0 and float(value).is_integer()):
        raise ValueError(f"{name} must be a whole number of events, not {value!r}")
    return int(value)


def counts_differ_p(o1: float, o2: float, exposure1: float = 1.0, exposure2: float = 1.0) -> float:
    """The two-sided p-value of the conditional binomial exact test that two Poisson counts,
    o1 over exposure1 and o2 over exposure2 (populations, say), have the same rate.

    Given their total n = o1 + o2, o1 is Binomial(n, e1 / (e1 + e2)) when the rates are equal.
    Two-sided means the sum of the probabilities of every outcome no more likely than the one
    observed (the "minimum likelihood" method of R's binom.test and poisson.test), not twice
    the smaller tail; outcomes within a relative 1e-7 of the observed probability count as
    equally likely, as in R. Two counts of 0 give 1.
    """
    k1 = _whole_count(o1, "o1")
    k2 = _whole_count(o2, "o2")
    for name, exposure in (("exposure1", exposure1), ("exposure2", exposure2)):
        if not (math.isfinite(exposure) and exposure > 0):
            raise ValueError(f"{name} must be positive, not {exposure!r}")
    n = k1 + k2
    if n == 0:
        return 1.0
    return _exact_p(k1, n, exposure1 / (exposure1 + exposure2))


# Terms of the exact test's sum left out once what is left of a tail is below this fraction of
# the sum so far: far below the 1e-12 the p-value is good to.
_NEGLIGIBLE = 1e-17


@functools.lru_cache(maxsize=4096)
def _exact_p(k1: int, n: int, share: float) -> float:
    """counts_differ_p's sum, for k1 of n with the first count's share of the exposure.

    The binomial probabilities rise to the mode, floor((n + 1) share), and fall after it, so
    the outcomes no more likely than the observed one are the two tails [0, a] and [b, n].
    Each tail is summed outward from its inner end, where its terms are largest, until what is
    left of it (at most the last term times r / (1 - r), r the last ratio of neighbouring
    terms, which only falls further out) is negligible."""
    log_share, log_rest = math.log(share), math.log1p(-share)
    log_n = math.lgamma(n + 1)

    def probability(k: int) -> float:
        return math.exp(
            log_n - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_share + (n - k) * log_rest
        )

    observed = probability(k1) * _TIE_TOLERANCE
    mode = min(n, int((n + 1) * share))
    # a: the last outcome up to the mode no more likely than the observed one (-1: none).
    low, high = -1, mode
    while low < high:
        middle = (low + high + 1) // 2
        if probability(middle) <= observed:
            low = middle
        else:
            high = middle - 1
    a = low
    # b: the first outcome after a, from the mode on, no more likely (n + 1: none).
    low, high = max(mode, a + 1), n + 1
    while low < high:
        middle = (low + high) // 2
        if probability(middle) <= observed:
            high = middle
        else:
            low = middle + 1
    b = low
    terms: list[float] = []
    for tail in (range(a, -1, -1), range(b, n + 1)):
        before, so_far = 0.0, math.fsum(terms)
        for k in tail:
            term = probability(k)
            terms.append(term)
            so_far += term
            if term == 0.0:
                break
            ratio = term / before if before else 1.0
            if ratio < 1.0 and term * ratio / (1.0 - ratio) <= so_far * _NEGLIGIBLE:
                break
            before = term
    return min(1.0, math.fsum(terms))


def compare_with(interval: tuple[float, float], benchmark: float) -> str:
    """ "higher" or "lower" when the interval lies wholly above or below the benchmark, else
    "similar": Fingertips' comparison, the benchmark (England's value, say) treated as fixed.
    An interval that only touches the benchmark does not exclude it."""
    lower, upper = interval
    if lower > upper:
        raise ValueError(f"not an interval: {interval!r}")
    if lower > benchmark:
        return "higher"
    if upper < benchmark:
        return "lower"
    return "similar"


def orient(direction: str, polarity: str) -> str:
    """A comparison ("higher", "lower" or "similar") read through an indicator's polarity:
    "better" or "worse" for "higher_is_better" and "lower_is_better"; unchanged for
    "neither" (and "similar" is always "similar")."""
    if direction not in ("higher", "lower", "similar"):
        raise ValueError(f"unknown comparison {direction!r}")
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; expected one of {POLARITIES}")
    if direction == "similar" or polarity == "neither":
        return direction
    good = "higher" if polarity == "higher_is_better" else "lower"
    return "better" if direction == good else "worse"
