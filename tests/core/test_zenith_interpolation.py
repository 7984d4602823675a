"""Interpolation of background rates in cos(zenith) and cleaning of interpolated rates."""

import numpy as np
import pytest

from baccmod.core.zenith_interpolation import (MAX_CLEANING_PASSES, TINY,
                                               clean_interpolated_rate, interpolate_cos_zenith,
                                               interpolate_cos_zenith_error)
from baccmod.errors import BaccmodValueError
from blocked_imports import run_blocked

RNG = np.random.default_rng(3)
# three models (n_model=3, energy 2 x offset 4) at unordered cos(zenith) nodes
NODES = np.array([1.0, 0.5, 0.8])
RATES = RNG.uniform(0.5, 2.0, size=(3, 2, 4))


def smooth_radial_rate():
    energy = np.logspace(-1, 2, 5)
    offset = np.linspace(0.1, 2.0, 6)
    return np.outer(energy ** -2.7, np.exp(-offset ** 2 / 2))


def smooth_grid_rate():
    energy = np.logspace(-1, 2, 5)
    lon = np.linspace(-2, 2, 5)
    lat = np.linspace(-2, 2, 6)
    r2 = lon[:, None] ** 2 + lat[None, :] ** 2
    return energy[:, None, None] ** -2.7 * np.exp(-r2 / 4)[None]


def staircase(n):
    """n x n zeros with ones on a path alternating offset and energy steps.

    Path: (0, 0), (0, 1), (1, 1), (1, 2), ..., (n-1, n-1), 2n-1 bins. Each inner bin has
    exactly one supporting neighbour in energy and one in offset; the two end bins lack one.
    """
    rate = np.zeros((n, n))
    i = np.arange(n)
    rate[i, i] = 1.0
    rate[i[:-1], i[:-1] + 1] = 1.0
    return rate


# --- interpolation -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["linear", "log"])
def test_at_a_node_the_model_of_that_node_is_returned(kind):
    for k, node in enumerate(NODES):
        np.testing.assert_array_equal(interpolate_cos_zenith(RATES, NODES, node, kind=kind),
                                      RATES[k])


def test_linear_at_the_mid_point_is_the_mean_of_the_neighbouring_models():
    # 0.65 lies half-way between the nodes 0.5 (model 1) and 0.8 (model 2), in any node order
    rate = interpolate_cos_zenith(RATES, NODES, 0.65, kind="linear")
    np.testing.assert_allclose(rate, (RATES[1] + RATES[2]) / 2, rtol=1e-12)
    assert rate.shape == RATES.shape[1:]


def test_linear_extrapolates_from_the_two_outermost_nodes_and_clips_negatives():
    rates = np.array([[2.0, 1.0], [1.0, 4.0]])  # at cos 0.5 and 1.0
    nodes = np.array([0.5, 1.0])
    # below: 2.5 and -0.5 (clipped to 0); above (cos 1.25): 0.5 and 5.5
    assert interpolate_cos_zenith(rates, nodes, 0.25).tolist() == [2.5, 0.0]
    assert interpolate_cos_zenith(rates, nodes, 1.25).tolist() == [0.5, 5.5]


def test_log_at_the_mid_point_is_the_geometric_mean_and_zero_stays_zero():
    rates = np.array([[1.0, 0.0, 3.0], [100.0, 0.0, 12.0]])
    rate = interpolate_cos_zenith(rates, [0.5, 1.0], 0.75, kind="log")
    np.testing.assert_allclose(rate[[0, 2]], [10.0, 6.0], rtol=1e-12)
    assert rate[1] == 0.0


def test_log_extrapolates_a_power_law_of_the_rate():
    rates = np.array([[1.0], [10.0]])  # log10 rate 0 at cos 0.5, 1 at cos 1.0
    rate = interpolate_cos_zenith(rates, [0.5, 1.0], 0.25, kind="log")
    np.testing.assert_allclose(rate, [10 ** -0.5], rtol=1e-12)


@pytest.mark.parametrize("kind", ["linear", "log"])
def test_results_are_finite_even_for_far_extrapolation_next_to_zeros(kind):
    rates = np.array([[1.0, 0.0, 1e300], [0.0, 1.0, 1e-300]])
    for cos_zenith in (-50.0, 0.0, 0.5, 1.0, 50.0):
        rate = interpolate_cos_zenith(rates, [0.9, 0.95], cos_zenith, kind=kind)
        assert np.all(np.isfinite(rate)) and np.all(rate >= 0)


def test_log_extrapolation_beside_a_zero_bin_keeps_the_nearer_model():
    rates = np.array([[2.0, 1e-12], [0.0, 1e-12 * 1.1]])  # nodes cos 0.9 (first), 0.95
    beyond_zero = interpolate_cos_zenith(rates, [0.9, 0.95], 1.0, kind="log")
    beyond_positive = interpolate_cos_zenith(rates, [0.9, 0.95], 0.8, kind="log")
    assert beyond_zero[0] == 0.0 and beyond_positive[0] == 2.0
    # bins positive in both models still follow the log line
    np.testing.assert_allclose(beyond_zero[1], 1e-12 * 1.1 ** 2, rtol=1e-9)


def test_one_model_is_returned_as_a_copy():
    rates = RATES[:1]
    rate = interpolate_cos_zenith(rates, [0.7], 0.2, kind="log")
    np.testing.assert_array_equal(rate, rates[0])
    rate[...] = -1
    assert np.all(rates[0] > 0)


def test_unknown_kind_is_refused_naming_the_valid_ones():
    with pytest.raises(BaccmodValueError, match="'linear'.*'log'"):
        interpolate_cos_zenith(RATES, NODES, 0.6, kind="cubic")


def test_nodes_must_be_distinct_and_one_per_model():
    with pytest.raises(BaccmodValueError, match="distinct"):
        interpolate_cos_zenith(RATES, [0.5, 0.5, 1.0], 0.6)
    with pytest.raises(BaccmodValueError, match="one cos\\(zenith\\) node per model"):
        interpolate_cos_zenith(RATES, [0.5, 1.0], 0.6)



# --- errors of interpolated rates ------------------------------------------------------------

def monte_carlo_spread(rates, errors, nodes, cos_zenith, kind, n_draws=4000):
    """Standard deviation of the interpolated rate over rates drawn around ``rates``."""
    rng = np.random.default_rng(11)
    draws = rates + errors * rng.standard_normal((n_draws,) + rates.shape)
    values = [interpolate_cos_zenith(d, nodes, cos_zenith, kind=kind) for d in draws]
    return np.std(values, axis=0)


@pytest.mark.parametrize("kind", ["linear", "log"])
@pytest.mark.parametrize("cos_zenith", [0.65, 0.9, 0.3, 1.2],
                         ids=["between", "between-upper", "below", "above"])
def test_interpolated_error_is_the_spread_of_interpolated_rates(kind, cos_zenith):
    errors = 0.02 * RATES * RNG.uniform(0.5, 1.5, size=RATES.shape)
    error = interpolate_cos_zenith_error(RATES, errors, NODES, cos_zenith, kind=kind)
    spread = monte_carlo_spread(RATES, errors, NODES, cos_zenith, kind)
    np.testing.assert_allclose(error, spread, rtol=0.06)


def test_at_a_node_and_with_one_model_the_error_is_that_models():
    errors = 0.1 * RATES
    np.testing.assert_array_equal(
        interpolate_cos_zenith_error(RATES, errors, NODES, NODES[2], kind="log"), errors[2])
    one = interpolate_cos_zenith_error(RATES[:1], errors[:1], NODES[:1], 0.3)
    np.testing.assert_array_equal(one, errors[0])
    one[...] = 0
    assert np.all(errors[0] > 0)  # a copy


def test_log_error_beside_a_zero_bin_is_finite_and_follows_the_rate():
    rates = RATES[:2].copy()
    rates[0, 0, 0] = 0.0
    errors = 0.1 * RATES[:2] + 0.01
    inside = interpolate_cos_zenith_error(rates, errors, NODES[:2], 0.75, kind="log")
    linear = interpolate_cos_zenith_error(rates, errors, NODES[:2], 0.75, kind="linear")
    assert np.all(np.isfinite(inside)) and inside[0, 0] == linear[0, 0]
    # extrapolating keeps the nearer model's rate beside a zero, and its error
    beyond = interpolate_cos_zenith_error(rates, errors, NODES[:2], 1.3, kind="log")
    assert beyond[0, 0] == errors[0, 0, 0]


# --- cleaning -------------------------------------------------------------------------------

def test_smooth_rates_are_unchanged():
    for rate in (smooth_radial_rate(), smooth_grid_rate()):
        np.testing.assert_array_equal(clean_interpolated_rate(rate), rate)


def test_an_isolated_spike_is_zeroed_radial():
    rate = smooth_radial_rate()
    rate[2, 3] *= 1e6
    cleaned = clean_interpolated_rate(rate)
    expected = rate.copy()
    expected[2, 3] = 0.0
    np.testing.assert_array_equal(cleaned, expected)
    assert rate[2, 3] > 0  # the input is not modified


def test_an_isolated_spike_is_zeroed_3d():
    rate = smooth_grid_rate()
    rate[2, 2, 3] *= 1e6
    expected = rate.copy()
    expected[2, 2, 3] = 0.0
    np.testing.assert_array_equal(clean_interpolated_rate(rate), expected)


def test_a_3d_bin_needs_two_supporting_neighbours_in_space_a_radial_bin_one():
    # two equal bins next to each other in space (and repeated in energy)
    radial = np.zeros((2, 4))
    radial[:, 1:3] = 1.0
    np.testing.assert_array_equal(clean_interpolated_rate(radial), radial)
    grid = np.zeros((2, 4, 4))
    grid[:, 1, 1:3] = 1.0
    assert not clean_interpolated_rate(grid).any()
    grid[:, 2, 1:3] = 1.0  # a 2 x 2 square: each bin has two neighbours
    np.testing.assert_array_equal(clean_interpolated_rate(grid), grid)


def test_thresholds_are_relative_factors_on_each_axis():
    # energy neighbours differing by 1e3 support each other (threshold 1e-4), by 1e5 do not
    rate = np.array([[1.0, 1.0], [1e3, 1e3]])
    np.testing.assert_array_equal(clean_interpolated_rate(rate), rate)
    rate = np.array([[1.0, 1.0], [1e5, 1e5]])
    assert not clean_interpolated_rate(rate).any()
    # offset neighbours differing by 1e1 support each other (threshold 1e-2), by 1e3 do not
    rate = np.array([[1.0, 10.0], [1.0, 10.0]])
    np.testing.assert_array_equal(clean_interpolated_rate(rate), rate)
    assert not clean_interpolated_rate(rate, spatial_threshold=0.5).any()


def test_a_single_energy_or_spatial_bin_skips_that_condition():
    one_energy = np.array([[1.0, 1.0, 1e6, 1.0, 1.0]])
    np.testing.assert_array_equal(clean_interpolated_rate(one_energy),
                                  [[1.0, 1.0, 0.0, 1.0, 1.0]])
    one_offset = np.array([[1.0], [1e6], [1e12]])
    np.testing.assert_array_equal(clean_interpolated_rate(one_offset), [[0.0], [0.0], [0.0]])
    one_offset = np.array([[1.0], [10.0], [100.0]])
    np.testing.assert_array_equal(clean_interpolated_rate(one_offset), one_offset)


def test_zeroing_a_bin_removes_its_neighbours_support_until_nothing_changes():
    rate = np.zeros((4, 8))
    rate[:, :4] = staircase(4)
    rate[:, 6:] = 1.0  # a well supported block, kept
    # In the first pass only the two ends of the staircase, (0, 0) and (3, 3), are
    # unsupported; every other staircase bin falls because its neighbour was zeroed.
    expected = np.zeros((4, 8))
    expected[:, 6:] = 1.0
    np.testing.assert_array_equal(clean_interpolated_rate(rate), expected)


def test_cleaning_stops_after_fifty_passes():
    assert MAX_CLEANING_PASSES == 50
    # a 119-bin staircase loses one bin at each end per pass: 100 bins in 50 passes
    rate = staircase(60)
    cleaned = clean_interpolated_rate(rate)
    assert np.count_nonzero(cleaned) == 119 - 2 * 50
    assert cleaned[29, 29] == 1.0 and cleaned[24, 24] == 0.0 and cleaned[25, 25] == 1.0


def test_log_interpolated_zero_bins_are_not_touched_by_cleaning():
    rates = np.stack([smooth_grid_rate(), 2 * smooth_grid_rate()])
    rates[:, :, 0, 0] = 0.0
    rate = interpolate_cos_zenith(rates, [0.5, 1.0], 0.7, kind="log", log_offset=TINY)
    cleaned = clean_interpolated_rate(rate)
    assert np.all(cleaned[:, 0, 0] == 0.0)
    np.testing.assert_array_equal(cleaned[:, 1:, 1:], rate[:, 1:, 1:])


def test_the_module_works_without_gammapy_regions_and_astropy():
    result = run_blocked("""
        import numpy as np
        from baccmod.core.zenith_interpolation import (clean_interpolated_rate,
                                                       interpolate_cos_zenith)
        rate = interpolate_cos_zenith(np.ones((2, 3, 4)), [0.5, 1.0], 0.7, kind="log")
        assert clean_interpolated_rate(rate).shape == (3, 4)
    """, ('gammapy', 'regions', 'astropy'))
    assert result.returncode == 0, result.stderr
