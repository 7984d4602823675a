"""Run-wise normalisation: the likelihood maxima of both methods, their errors (pulls), the
default energy range and the options' checks."""
import logging
from types import SimpleNamespace

import numpy as np
import pytest
from astropy import units as u
from gammapy.maps import MapAxis
from scipy.optimize import minimize, minimize_scalar

from baccmod import RadialAcceptanceMapCreator
from baccmod.adapters.irf import safe_energy_threshold
from baccmod.build import RunwiseNormalisation
from baccmod.core.normalisation import fit_norm_tilt, scale_norm, tilt_factor

CENTRES = np.geomspace(1.2, 8.0, 8)  # TeV
PREDICTED = 400.0 * CENTRES ** -1.5


def poisson_nll(mu, counts):
    return float(np.sum(mu - counts * np.log(mu)))


def test_scale_norm_is_the_poisson_likelihood_maximum():
    counts = np.random.default_rng(1).poisson(1.3 * PREDICTED)
    best = minimize_scalar(lambda a: poisson_nll(a * PREDICTED, counts), bounds=(0.1, 10),
                           method="bounded", options={"xatol": 1e-10})
    assert scale_norm(counts, PREDICTED).norm == pytest.approx(best.x, rel=1e-6)


def test_fit_norm_and_tilt_are_the_poisson_likelihood_maximum():
    counts = np.random.default_rng(2).poisson(0.8 * PREDICTED * tilt_factor(CENTRES, 0.3))
    fit = fit_norm_tilt(counts, PREDICTED, CENTRES)
    best = minimize(lambda p: poisson_nll(p[0] * PREDICTED * tilt_factor(CENTRES, p[1]),
                                          counts), [1.0, 0.0], method="Nelder-Mead",
                    options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 10000})
    np.testing.assert_allclose([fit.norm, fit.tilt], best.x, rtol=1e-5, atol=1e-6)


def test_fitted_norm_and_tilt_errors_give_unit_pulls():
    rng = np.random.default_rng(3)
    norm, tilt = 1.3, 0.25
    fits = [fit_norm_tilt(rng.poisson(norm * PREDICTED * tilt_factor(CENTRES, tilt)),
                          PREDICTED, CENTRES) for _ in range(2000)]
    for true, values, errors in ((norm, [f.norm for f in fits], [f.error for f in fits]),
                                 (tilt, [f.tilt for f in fits], [f.tilt_error for f in fits])):
        pulls = (np.array(values) - true) / np.array(errors)
        assert abs(np.mean(pulls)) < 0.1 and 0.93 < np.std(pulls) < 1.07


def test_fit_without_a_maximum_is_refused_for_the_scale_fallback():
    counts = np.zeros(CENTRES.size)
    counts[0] = 50  # all counts in one bin: the tilt runs away
    assert fit_norm_tilt(counts, PREDICTED, CENTRES) is None
    assert fit_norm_tilt(counts[:1], PREDICTED[:1], CENTRES[:1]) is None


ENERGY = MapAxis.from_energy_bounds(0.1, 100, 12, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2.5, 5, unit="deg", name="offset")


@pytest.mark.parametrize("options, error", [
    (dict(runwise_normalisation_method="likelihood"), ValueError),
    (dict(runwise_normalisation_energy_range=(1, 10)), TypeError),
    (dict(runwise_normalisation_energy_range=1 * u.TeV), TypeError),
    (dict(runwise_normalisation_energy_range=(10 * u.TeV, 1 * u.TeV)), ValueError),
    (dict(runwise_normalisation_energy_range=(200 * u.TeV, 300 * u.TeV)), ValueError),
    (dict(runwise_normalisation_energy_range=(1 * u.TeV, 10 * u.deg)), TypeError),
])
def test_bad_normalisation_options_are_refused_in_the_constructor(options, error):
    with pytest.raises(error, match="runwise_normalisation"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, **options)


def test_energy_range_may_be_a_quantity_array():
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET,
                                         runwise_normalisation_energy_range=[1, 10] * u.TeV)
    assert creator._spec.norm.energy_range == pytest.approx((1.0, 10.0))


class RunWithThreshold:
    """A run as the default range sees it: an effective area whose header may hold
    LO_THRES (TeV), or no effective area at all (``lo_thres=None``)."""

    def __init__(self, lo_thres):
        self.obs_id = 7
        if lo_thres is not None:
            self.aeff = SimpleNamespace(meta={"LO_THRES": lo_thres})


MODEL_EDGES = ENERGY.edges.to_value(u.TeV)


@pytest.mark.parametrize("lo_thres, low", [(0.4, 1.0), (None, 1.0), (2.5, 2.5)])
def test_default_range_starts_at_1_tev_or_the_safe_threshold_if_higher(lo_thres, low):
    run = RunWithThreshold(lo_thres)
    edges = RunwiseNormalisation().energy_edges(run, MODEL_EDGES, safe_energy_threshold(run))
    assert edges[0] == pytest.approx(low)
    assert edges[-1] == pytest.approx(100.0)
    assert np.all(np.isin(edges[1:-1], MODEL_EDGES))


def test_default_range_above_the_model_falls_back_to_the_whole_axis_with_a_warning(caplog):
    low_energy_edges = np.geomspace(0.05, 0.8, 5)
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        edges = RunwiseNormalisation().energy_edges(RunWithThreshold(None), low_energy_edges)
    np.testing.assert_allclose(edges, low_energy_edges)
    assert "run 7" in caplog.text and "whole axis" in caplog.text


def test_a_given_range_overrides_the_threshold():
    edges = RunwiseNormalisation((0.3, 3.0)).energy_edges(RunWithThreshold(2.5), MODEL_EDGES)
    assert (edges[0], edges[-1]) == pytest.approx((0.3, 3.0))
