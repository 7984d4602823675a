"""baccmod.core.validation_stats: ring sums, residuals and the Poisson deviance on arrays."""
import numpy as np
import pytest

from baccmod.core.validation_stats import gaussian_fit, poisson_deviance, residuals, ring_sums


def test_ring_sums_match_a_pixel_by_pixel_sum():
    rng = np.random.default_rng(1)
    counts = rng.poisson(5.0, size=(3, 20, 30)).astype(float)
    predicted = rng.uniform(1, 9, size=(3, 20, 30))
    keep = rng.uniform(size=(3, 20, 30)) > 0.2
    offset = rng.uniform(0, 2.5, size=(20, 30))
    edges = np.array([0.0, 0.5, 1.2, 2.0])
    got_counts, got_predicted = ring_sums(counts, predicted, keep, offset, edges)
    for e in range(3):
        for r in range(3):
            pixels = keep[e] & (offset >= edges[r]) & (offset < edges[r + 1])
            assert got_counts[e, r] == counts[e][pixels].sum()
            assert got_predicted[e, r] == pytest.approx(predicted[e][pixels].sum())


def test_pixels_beyond_the_last_ring_are_not_counted():
    counts = np.ones((1, 1, 3))
    offset = np.array([[0.5, 2.0, 3.0]])
    got, _ = ring_sums(counts, counts, np.ones_like(counts, dtype=bool), offset,
                       np.array([0.0, 1.0, 2.0]))
    assert got.tolist() == [[1.0, 0.0]]


def test_deviance_is_zero_for_a_perfect_prediction_and_grows_with_the_error():
    predicted = np.array([10.0, 100.0, 1000.0])
    assert poisson_deviance(predicted, predicted) == 0.0
    assert poisson_deviance(predicted, 1.1 * predicted) < poisson_deviance(predicted,
                                                                          1.2 * predicted)


def test_deviance_of_poisson_counts_is_about_one_per_bin():
    rng = np.random.default_rng(2)
    predicted = rng.uniform(0.5, 50, size=20_000)
    counts = rng.poisson(predicted)
    assert poisson_deviance(counts, predicted) / predicted.size == pytest.approx(1.0, abs=0.05)


def test_bins_without_prediction_are_left_out_without_nan():
    res = residuals([3.0, 0.0, 4.0], [4.0, 0.0, 4.0])
    assert res.used.tolist() == [True, False, True]
    assert res.dof == 2
    assert res.ratio.tolist() == [0.75, 0.0, 1.0]
    assert res.ratio_error[1] == 0.0 and res.ratio_error[0] == pytest.approx(0.5)
    assert np.isfinite(res.deviance) and res.reduced == res.deviance / 2


def test_gaussian_fit_finds_mean_and_width():
    values = np.random.default_rng(3).normal(0.3, 1.7, size=50_000)
    mean, width = gaussian_fit(values)
    assert mean == pytest.approx(0.3, abs=0.03)
    assert width == pytest.approx(1.7, rel=0.02)
