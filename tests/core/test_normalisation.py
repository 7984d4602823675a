"""Run-wise norm: closed-form likelihood maximum and gammapy's energy integration of a model."""
import numpy as np
import pytest

from baccmod.core.normalisation import (energy_integrated_rate, predicted_counts,
                                        scale_norm)

EDGES = np.geomspace(0.1, 10, 7)  # TeV
DE_MEV = np.diff(EDGES) * 1e6


def gammapy_integral(rate):
    from gammapy.irf import Background2D
    from gammapy.maps import MapAxis
    energy = MapAxis.from_energy_edges(EDGES, unit="TeV", name="energy")
    offset = MapAxis.from_bounds(0, 2, rate.shape[1], unit="deg", name="offset")
    model = Background2D(axes=[energy, offset], data=rate, unit="s-1 MeV-1 sr-1")
    return model.integrate_log_log(axis_name="energy", energy=energy.edges[:, None],
                                   offset=offset.center[None, :]).to_value("s-1 sr-1")


def test_positive_rates_are_integrated_exactly_as_gammapy_does():
    rng = np.random.default_rng(4)
    rate = np.exp(rng.normal(-12, 1.5, (6, 3)))
    np.testing.assert_allclose(energy_integrated_rate(rate, EDGES), gammapy_integral(rate),
                               rtol=1e-9)


def test_bin_averages_of_an_e_minus_2_spectrum_integrate_to_their_counts():
    centres = np.sqrt(EDGES[1:] * EDGES[:-1])
    rate = (1e-6 * centres ** -2.0)[:, None]  # for E^-2 the bin average is the centre value
    np.testing.assert_allclose(energy_integrated_rate(rate, EDGES)[:, 0], rate[:, 0] * DE_MEV,
                               rtol=1e-9)


def test_zero_neighbours_give_zero_not_gammapys_overflow():
    rate = np.array([0, 2.6e-5, 0, 0, 0, 4.8e-6])[:, None]
    # gammapy's arithmetic breaks down here: far more than any bin holds (~1e16 in gammapy
    # 2.0, ~1e150 in 2.1)
    assert gammapy_integral(rate).max() > 1e10 * np.max(rate[:, 0] * DE_MEV)
    integral = energy_integrated_rate(rate, EDGES)
    assert np.all(np.isfinite(integral)) and np.all(integral <= rate * DE_MEV[:, None])


def test_outer_bin_beside_a_zero_bin_is_integrated_flat():
    rate = np.array([1e-3, 1e-4, 1e-5, 1e-6, 0.0, 1e-8])[:, None]
    # lower edge of the last bin touches a zero bin: zero edge value, zero integral (gammapy
    # gives ~1e-151); bins away from the zero follow gammapy
    integral = energy_integrated_rate(rate, EDGES)[:, 0]
    assert integral[-1] == 0.0
    np.testing.assert_allclose(integral[:3], gammapy_integral(rate)[:3, 0], rtol=1e-9)


def test_norm_is_counts_over_prediction_with_poisson_error():
    mu = predicted_counts(np.full((2, 3), 0.5), 100.0, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(mu, [100.0 * 0.5 * 6] * 2)
    fit = scale_norm(720.0, mu)
    assert fit.norm == pytest.approx(1.2) and fit.error == pytest.approx(np.sqrt(720) / 600)
    assert fit.fitted


@pytest.mark.parametrize("counts, predicted", [(0.0, 10.0), (5.0, 0.0), (0.0, 0.0)])
def test_norm_without_counts_or_prediction_stays_one(counts, predicted):
    fit = scale_norm(counts, predicted)
    assert fit.norm == 1.0 and not fit.fitted and np.isfinite(fit.error)
