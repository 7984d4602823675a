"""Poisson fits on arrays: likelihood, gradient, minimiser, uncertainties, cube fits."""
import logging

import numpy as np
import pytest

from baccmod.core import fit_models
from baccmod.core.fit import (EXPECTED_FLOOR, FitParameters, RateModel, fit_cube, fit_poisson,
                              fitted_rate, neg_log_likelihood, neg_log_likelihood_gradient,
                              numeric_jacobian, rate_uncertainty, scale_normalisation)
from baccmod.errors import BaccmodValueError
from blocked_imports import run_blocked

ENERGY_EDGES = np.geomspace(0.2, 50, 13)  # TeV
ENERGY = np.sqrt(ENERGY_EDGES[1:] * ENERGY_EDGES[:-1])
FOV = np.linspace(-2.25, 2.25, 10)  # deg, bin centres
LON, LAT = np.meshgrid(FOV, FOV, indexing="ij")
DE_MEV = np.diff(ENERGY_EDGES) * 1e6

# spectral truth: power law with cut-offs, reference energy fixed
SPECTRAL = dict(amplitude=2e-7, index=2.4, e_ref=1.0, low_cutoff=0.4, low_cutoff_index=2.0,
                high_cutoff=20.0)
SPECTRAL_SEEDS = dict(amplitude=1.0, index=2.0, e_ref=1.0, low_cutoff=0.3,
                      low_cutoff_index=2.0, high_cutoff=50.0)
# spatial truth: rotated Gaussian, gradients fixed at 0
SPATIAL = dict(amplitude=3e-7, x_mean=0.3, y_mean=-0.2, x_stddev=1.6, y_stddev=1.1,
               theta=0.5, x_gradient=0.0, y_gradient=0.0)
SPATIAL_SEEDS = dict(amplitude=1.0, x_mean=0.0, y_mean=0.0, x_stddev=1.3, y_stddev=1.3,
                     theta=0.3, x_gradient=0.0, y_gradient=0.0)
WIDTH_BOUNDS = {"x_stddev": (1e-3, None), "y_stddev": (1e-3, None)}


def spectral_model():
    parameters = FitParameters.from_dicts(
        SPECTRAL_SEEDS, {"low_cutoff": (1e-3, None), "high_cutoff": (1e-3, None)},
        fixed=["e_ref", "low_cutoff_index"])
    return RateModel(1, fit_models.powerlaw_cutoffs, parameters,
                     fit_models.powerlaw_cutoffs_jacobian, ("amplitude",))


def spatial_model(seeds=SPATIAL_SEEDS):
    parameters = FitParameters.from_dicts(seeds, WIDTH_BOUNDS, ["x_gradient", "y_gradient"])
    return RateModel(2, fit_models.gaussian2d_gradients, parameters,
                     fit_models.gaussian2d_gradients_jacobian, ("amplitude",))


def scaled_fit(rate, jacobian, parameters, counts, exposure, mask=None, **options):
    """fit_poisson from seeds whose amplitude is scaled to the counts."""
    mask = exposure > 0 if mask is None else mask
    seeds = scale_normalisation(rate, parameters, ["amplitude"], counts, exposure, mask)
    return fit_poisson(rate, seeds, counts, exposure, mask, jacobian=jacobian, **options)


def global_model():
    parameters = FitParameters.from_dicts(
        dict(amplitude=1.0, index=2.0, e_ref=1.0, x_mean=0.0, y_mean=0.0, x_stddev=1.2,
             y_stddev=1.2, theta=0.2), WIDTH_BOUNDS, ["e_ref"])
    return RateModel(3, fit_models.powerlaw_gaussian2d, parameters,
                     fit_models.powerlaw_gaussian2d_jacobian, ("amplitude",))


def pulls(rate, jacobian, parameters, truth, exposure, n_seeds=50):
    """Pulls (fitted - true) / error of the free parameters over simulated data sets."""
    rng = np.random.default_rng(12)
    results = [scaled_fit(rate, jacobian, parameters, rng.poisson(rate(truth) * exposure),
                          exposure) for _ in range(n_seeds)]
    assert all(r.success for r in results)
    free = ~results[0].parameters.fixed
    values = np.array([r.values[free] for r in results])
    errors = np.array([r.errors[free] for r in results])
    return (values - np.asarray(truth)[free]) / errors


def assert_unit_pulls(pull):
    # 50 data sets: the mean of unit-normal pulls is within 0.45 (3.2 sigma), the spread
    # within 30 %
    assert np.all(np.abs(pull.mean(axis=0)) < 0.45), pull.mean(axis=0)
    assert np.all(np.abs(pull.std(axis=0) - 1) < 0.3), pull.std(axis=0)


# --- likelihood ---------------------------------------------------------------------------

def test_statistic_is_zero_at_the_counts_and_half_a_unit_at_one_sigma():
    counts = np.array([10000.0])
    assert neg_log_likelihood(counts, counts) == pytest.approx(0.0, abs=1e-9)
    assert neg_log_likelihood(counts, counts + 100) == pytest.approx(0.5, rel=0.02)


def test_statistic_uses_only_the_masked_bins():
    counts, expected = np.array([3.0, 50.0]), np.array([2.0, 1.0])
    mask = np.array([True, False])
    assert neg_log_likelihood(counts, expected, mask) == neg_log_likelihood(counts[:1],
                                                                            expected[:1])


def test_zero_or_negative_expectation_with_counts_stays_finite_and_points_back_up():
    counts = np.array([3.0])
    values = [neg_log_likelihood(counts, np.array([mu])) for mu in (1e-3, 0.0, -1.0)]
    assert np.all(np.isfinite(values))
    assert values[0] < values[1] < values[2]  # lower expectation, worse fit
    # continuous at the floor and the gradient says: raise the expectation
    below, above = (neg_log_likelihood(counts, np.array([EXPECTED_FLOOR * (1 + s)]))
                    for s in (-1e-6, 1e-6))
    assert below == pytest.approx(above, rel=1e-6)
    gradient = neg_log_likelihood_gradient(counts, np.array([0.0]), np.array([[1.0]]))
    assert np.isfinite(gradient).all() and gradient[0] < 0


def test_gradient_equals_finite_differences_of_the_statistic():
    rng = np.random.default_rng(3)
    exposure = rng.uniform(1e9, 3e9, LON.shape)
    values = np.array(list(SPATIAL.values()))
    counts = rng.poisson(fit_models.gaussian2d_gradients(LON, LAT, *values) * exposure)
    mask = rng.uniform(size=LON.shape) > 0.2
    # near the truth (expected ~ counts, so both terms of the gradient count) but not at the
    # minimum
    trial = values + np.array([0.1 * values[0], 0.05, -0.05, 0.1, -0.1, 0.05, 0.02, -0.02])

    def statistic(v):
        return neg_log_likelihood(counts, fit_models.gaussian2d_gradients(LON, LAT, *v)
                                  * exposure, mask)
    jacobian = fit_models.gaussian2d_gradients_jacobian(LON, LAT, *trial) * exposure
    analytic = neg_log_likelihood_gradient(
        counts, fit_models.gaussian2d_gradients(LON, LAT, *trial) * exposure, jacobian, mask)
    steps = 1e-6 * np.abs(trial)  # all non-zero
    numeric = [(statistic(trial + np.eye(8)[i] * steps[i])
                - statistic(trial - np.eye(8)[i] * steps[i])) / (2 * steps[i])
               for i in range(8)]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5)


# --- truth recovery -----------------------------------------------------------------------

def test_spectral_fit_recovers_the_truth_with_unit_pulls():
    exposure = 1e6 * 1e-2 * DE_MEV  # s x sr x MeV
    model = spectral_model()
    assert_unit_pulls(pulls(*model.at(ENERGY), model.parameters,
                            np.array(list(SPECTRAL.values())), exposure))


def test_spatial_fit_recovers_the_truth_with_unit_pulls():
    model = spatial_model()
    assert_unit_pulls(pulls(*model.at(LON, LAT), model.parameters,
                            np.array(list(SPATIAL.values())), np.full(LON.shape, 3e9)))


def test_global_fit_recovers_the_truth_with_unit_pulls():
    energy, lon, lat = np.meshgrid(ENERGY[:8], FOV, FOV, indexing="ij")
    exposure = 2e4 * DE_MEV[:8, None, None] * np.ones(lon.shape)
    truth = np.array([1e-7, 2.3, 1.0, 0.2, -0.3, 1.5, 1.0, 0.4])
    model = global_model()
    assert_unit_pulls(pulls(*model.at(energy, lon, lat), model.parameters, truth, exposure))


def test_per_bin_uncertainty_matches_the_scatter_of_fitted_rates():
    exposure = np.full(LON.shape, 3e9)
    truth = np.array(list(SPATIAL.values()))
    model = spatial_model()
    rate, jacobian = model.at(LON, LAT)
    rng = np.random.default_rng(5)
    fitted, errors = [], []
    for _ in range(40):
        result = scaled_fit(rate, jacobian, model.parameters,
                            rng.poisson(rate(truth) * exposure), exposure)
        value, error = fitted_rate(rate, result, jacobian)
        fitted.append(value)
        errors.append(error)
    ratio = np.std(fitted, axis=0) / np.mean(errors, axis=0)
    assert np.all(np.abs(ratio - 1) < 0.35), ratio  # 40 sets: ~11 % noise on a spread
    # without an analytic Jacobian the propagation differentiates numerically: same errors
    _, numeric_error = fitted_rate(rate, result)
    np.testing.assert_allclose(numeric_error, errors[-1], rtol=1e-4)


def test_linear_propagation_of_a_two_parameter_line():
    x = np.array([0.0, 1.0, 2.0])
    jacobian = np.stack([np.ones_like(x), x])  # rate = a + b x
    covariance = np.array([[4.0, -1.0], [-1.0, 1.0]])
    expected = np.sqrt(4.0 + x ** 2 - 2 * x)
    np.testing.assert_allclose(rate_uncertainty(jacobian, covariance), expected)


def test_numeric_jacobian_of_a_known_function():
    x = np.linspace(0, 1, 4)
    jacobian = numeric_jacobian(lambda v: v[0] * np.exp(v[1] * x), np.array([2.0, 0.5]),
                                np.array([1e-4, 0.0]))
    np.testing.assert_allclose(jacobian[0], np.exp(0.5 * x), rtol=1e-8)
    assert np.all(jacobian[1] == 0)  # step 0: not differentiated


# --- masks, bounds, fixed -------------------------------------------------------------------

def test_masked_bins_are_left_out_of_the_fit():
    exposure = np.full(LON.shape, 3e9)
    truth = np.array(list(SPATIAL.values()))
    model = spatial_model()
    rate, jacobian = model.at(LON, LAT)
    counts = np.random.default_rng(8).poisson(rate(truth) * exposure).astype(float)
    hot_spot = (np.abs(LON - 1) < 0.6) & (np.abs(LAT - 1) < 0.6)
    counts[hot_spot] *= 5  # a source the background fit must not see
    masked = scaled_fit(rate, jacobian, model.parameters, counts, exposure, ~hot_spot)
    unmasked = scaled_fit(rate, jacobian, model.parameters, counts, exposure)
    masked_pull = np.abs(masked.values - truth)[:6] / masked.errors[:6]
    unmasked_pull = np.abs(unmasked.values - truth)[:6] / unmasked.errors[:6]
    assert masked_pull.max() < 4 < unmasked_pull.max()


def test_bins_without_exposure_are_left_out_even_without_a_mask():
    exposure = np.full(LON.shape, 3e9)
    exposure[:3] = 0.0
    model = spatial_model()
    rate, _ = model.at(LON, LAT)
    counts = np.random.default_rng(2).poisson(rate(np.array(list(SPATIAL.values())))
                                              * 3e9).astype(float)
    counts[:3] = 1e6  # would dominate if used
    result = scaled_fit(rate, None, model.parameters, counts, exposure)
    assert result.success and abs(result.values[0] / SPATIAL["amplitude"] - 1) < 0.1


def test_bounds_and_fixed_parameters_are_honoured():
    exposure = np.full(LON.shape, 3e9)
    truth = np.array(list(SPATIAL.values()))
    rate = spatial_model().at(LON, LAT)[0]
    counts = np.random.default_rng(4).poisson(rate(truth) * exposure)
    seeds = dict(SPATIAL_SEEDS, amplitude=3e-7, x_mean=0.0, x_stddev=1.0, theta=0.5)
    parameters = FitParameters.from_dicts(
        seeds, {**WIDTH_BOUNDS, "x_stddev": (0.5, 1.2)},
        ["x_gradient", "y_gradient", "x_mean", "theta"])
    result = fit_poisson(rate, parameters, counts, exposure)
    names = parameters.names
    assert result.values[names.index("x_mean")] == 0.0
    assert result.errors[names.index("x_mean")] == 0.0
    assert np.all(result.covariance[names.index("x_mean")] == 0)
    # the true x_stddev (1.6) is above the bound: the fit stops at the bound
    assert result.values[names.index("x_stddev")] == pytest.approx(1.2, abs=1e-3)


def test_seeds_outside_their_bounds_are_refused():
    with pytest.raises(BaccmodValueError, match="'width'.*outside"):
        FitParameters.from_dicts({"width": 2.0}, {"width": (0, 1)})
    with pytest.raises(BaccmodValueError, match="unknown parameters"):
        FitParameters.from_dicts({"width": 2.0}, {"length": (0, 1)})


def test_normalisation_is_scaled_to_the_counts_and_bounded_around_them():
    exposure = np.full(LON.shape, 3e9)
    model = spatial_model()
    rate = model.at(LON, LAT)[0]
    counts = np.random.default_rng(1).poisson(rate(np.array(list(SPATIAL.values())))
                                              * exposure)
    mask = LON < 1
    seeds = scale_normalisation(rate, model.parameters, ["amplitude"], counts, exposure, mask,
                                relative_bounds=(0.1, 10))
    predicted = np.sum(rate(seeds.values)[mask] * exposure[mask])
    assert predicted == pytest.approx(counts[mask].sum())
    amplitude = seeds.values[0]
    assert (seeds.lower[0], seeds.upper[0]) == pytest.approx((0.1 * amplitude, 10 * amplitude))
    assert np.all(seeds.values[1:] == model.parameters.values[1:])


def test_a_count_scaled_normalisation_outside_its_bounds_is_refused_naming_it():
    exposure = np.full(LON.shape, 3e9)
    parameters = FitParameters.from_dicts(SPATIAL_SEEDS, {"amplitude": (0.5, None)})
    rate = spatial_model().at(LON, LAT)[0]
    counts = np.random.default_rng(1).poisson(rate(np.array(list(SPATIAL.values())))
                                              * exposure)
    with pytest.raises(BaccmodValueError, match="energy bin 2: .*'amplitude'.*is 3.0[0-9]*e-07, "
                                                r"outside its bounds \(0.5, inf\)"):
        scale_normalisation(rate, parameters, ["amplitude"], counts, exposure, exposure > 0,
                            label="energy bin 2")


# --- failures ----------------------------------------------------------------------------

def non_converging_fit(on_failure):
    exposure = np.full(LON.shape, 3e9)
    model = spatial_model()
    rate, jacobian = model.at(LON, LAT)
    counts = np.random.default_rng(6).poisson(rate(np.array(list(SPATIAL.values())))
                                              * exposure)
    return fit_poisson(rate, model.parameters, counts, exposure, maxiter=5, jacobian=jacobian,
                       label="energy bin 4 (1-2 TeV)", on_failure=on_failure)


def test_a_fit_that_does_not_converge_raises_naming_the_bin():
    with pytest.raises(BaccmodValueError, match=r"energy bin 4 \(1-2 TeV\).*did not converge"):
        non_converging_fit("raise")


def test_a_fit_that_does_not_converge_warns_naming_the_bin_and_stays_finite(caplog):
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        result = non_converging_fit("warn")
    assert not result.success and "energy bin 4" in result.message
    assert "energy bin 4 (1-2 TeV)" in caplog.text and "maxiter" in caplog.text
    assert np.all(np.isfinite(result.values)) and np.all(np.isfinite(result.covariance))


def test_a_fit_of_no_counts_or_no_exposure_is_refused_naming_the_bin():
    rate = spatial_model().at(LON, LAT)[0]
    parameters = spatial_model().parameters
    with pytest.raises(BaccmodValueError, match="bin 7: no counts"):
        fit_poisson(rate, parameters, np.zeros(LON.shape), np.ones(LON.shape), label="bin 7")
    with pytest.raises(BaccmodValueError, match="bin 7: no bin has exposure"):
        fit_poisson(rate, parameters, np.ones(LON.shape), np.zeros(LON.shape), label="bin 7")


def test_a_model_that_is_not_finite_somewhere_does_not_give_nan():
    # rate = a / (x - c): infinite where x == c; the minimiser must step back from there
    x = np.linspace(1.0, 3.0, 20)

    def rate(v):
        with np.errstate(divide="ignore"):
            return v[0] / (x - v[1])
    counts = np.random.default_rng(0).poisson(rate(np.array([100.0, 0.0])))
    parameters = FitParameters.from_dicts({"a": 80.0, "c": 0.5}, {"c": (-1.0, 0.99)})
    result = fit_poisson(rate, parameters, counts, np.ones_like(x), on_failure="return")
    assert np.all(np.isfinite(result.values)) and np.isfinite(result.statistic)
    assert np.all(np.isfinite(result.covariance))


# --- cube fits ------------------------------------------------------------------------------

def cube_exposure():
    return 1e4 * DE_MEV[:, None, None] * np.ones((1,) + LON.shape)


def test_a_2d_model_is_fitted_per_energy_bin():
    def rate_2d(energy):  # Gaussian whose amplitude follows a power law
        return fit_models.gaussian2d_gradients(LON, LAT, 3e-7 * energy ** -2.4,
                                               *list(SPATIAL.values())[1:])
    truth = np.stack([rate_2d(e) for e in ENERGY])
    exposure = cube_exposure()
    counts = np.random.default_rng(9).poisson(truth * exposure)
    cube = fit_cube(spatial_model(), counts, exposure, ENERGY_EDGES, FOV, FOV,
                    on_failure="return")
    fitted = [k for k in cube.results if cube.results[k].success]
    assert sorted(cube.results) == [(e,) for e in range(ENERGY.size) if counts[e].sum() > 0]
    assert len(fitted) >= ENERGY.size - 2  # the last, nearly empty bins may not converge
    good = np.array([counts[e].sum() > 2000 for e in range(ENERGY.size)])
    pull = (cube.rate - truth)[good] / cube.rate_error[good]
    assert np.all(np.isfinite(pull)) and abs(pull.mean()) < 0.5 and pull.std() < 2


SMALL_FOV = np.linspace(-2, 2, 5)  # per-spatial-bin fits: a 5 x 5 grid keeps them quick
SMALL_LON, SMALL_LAT = np.meshgrid(SMALL_FOV, SMALL_FOV, indexing="ij")


def spectral_cube(spatial_shape):
    truth = fit_models.powerlaw_cutoffs(ENERGY, *SPECTRAL.values())[:, None, None] \
        * spatial_shape
    return truth, 3e5 * DE_MEV[:, None, None] * np.ones(truth.shape)


def test_a_1d_model_is_fitted_per_spatial_bin():
    truth, exposure = spectral_cube(np.exp(-(SMALL_LON ** 2 + SMALL_LAT ** 2) / 8))
    counts = np.random.default_rng(10).poisson(truth * exposure)
    cube = fit_cube(spectral_model(), counts, exposure, ENERGY_EDGES, SMALL_FOV, SMALL_FOV)
    assert len(cube.results) == SMALL_LON.size
    assert all(r.success for r in cube.results.values())
    pull = (cube.rate - truth) / cube.rate_error
    assert np.all(np.isfinite(pull)) and abs(pull.mean()) < 0.5 and pull.std() < 2


def test_a_1d_fit_fills_spatial_bins_without_exposure_from_their_neighbours():
    truth, exposure = spectral_cube(np.ones(SMALL_LON.shape))
    exposure[:, 2, 2] = 0.0
    counts = np.random.default_rng(11).poisson(truth * exposure)
    with pytest.raises(BaccmodValueError, match="1 spatial bins have no exposure"):
        fit_cube(spectral_model(), counts, exposure, ENERGY_EDGES, SMALL_FOV, SMALL_FOV)
    groups = np.zeros(SMALL_LON.shape, dtype=int)
    positions = np.stack([SMALL_LON, SMALL_LAT], axis=-1)
    cube = fit_cube(spectral_model(), counts, exposure, ENERGY_EDGES, SMALL_FOV, SMALL_FOV,
                    fill_geometry=(groups, positions))
    assert cube.filled == 1 and (2, 2) not in cube.results
    neighbours = cube.rate[:, [1, 3, 2, 2], [2, 2, 1, 3]].mean(axis=1)
    np.testing.assert_allclose(cube.rate[:, 2, 2], neighbours)


def test_a_3d_model_is_fitted_once_over_the_cube():
    model = global_model()
    truth_values = [1e-7, 2.3, 1.0, 0.2, -0.3, 1.5, 1.0, 0.4]
    energy, lon, lat = np.meshgrid(ENERGY, FOV, FOV, indexing="ij")
    truth = fit_models.powerlaw_gaussian2d(energy, lon, lat, *truth_values)
    exposure = cube_exposure()
    counts = np.random.default_rng(13).poisson(truth * exposure)
    cube = fit_cube(model, counts, exposure, ENERGY_EDGES, FOV, FOV)
    assert list(cube.results) == [()]
    result = cube.results[()]
    assert np.all(np.abs(result.values - truth_values) <= 4 * result.errors + 1e-12)


def test_an_energy_bin_without_counts_is_zero_with_a_warning(caplog):
    exposure = cube_exposure()
    truth = np.stack([fit_models.gaussian2d_gradients(LON, LAT, *SPATIAL.values())] * 12)
    counts = np.random.default_rng(3).poisson(truth * exposure)
    counts[5] = 0
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        cube = fit_cube(spatial_model(), counts, exposure, ENERGY_EDGES, FOV, FOV,
                        context="zenith bin 2: ")
    assert np.all(cube.rate[5] == 0) and (5,) not in cube.results
    assert "zenith bin 2: " in caplog.text and "energy bin 5" in caplog.text


def test_a_model_with_an_unsupported_number_of_inputs_is_refused():
    with pytest.raises(BaccmodValueError, match="1 .*2 .*3 .*inputs, not 4"):
        RateModel(4, lambda *a: 0, spatial_model().parameters)


def test_cube_shapes_and_failure_policy_are_checked_before_fitting():
    exposure = cube_exposure()
    with pytest.raises(BaccmodValueError, match="shape"):
        fit_cube(spatial_model(), np.ones((2, 3, 3)), exposure, ENERGY_EDGES, FOV, FOV)
    with pytest.raises(BaccmodValueError, match="on_failure"):
        fit_cube(spatial_model(), np.ones(exposure.shape), exposure, ENERGY_EDGES, FOV, FOV,
                 on_failure="ignore")


def test_fits_run_with_astropy_gammapy_and_regions_blocked():
    result = run_blocked("""
        import sys
        import numpy as np
        from baccmod.core import fit, fit_models
        model = fit_models.legacy_rate_model('gaussian2d')
        x = np.linspace(-2, 2, 8)
        g = fit_models.gaussian2d(*np.meshgrid(x, x, indexing='ij'), 1000.0, 0, 0, 1, 1, 0)
        counts = np.random.default_rng(0).poisson(np.stack([g, g / 2]))
        cube = fit.fit_cube(model, counts, np.ones(counts.shape), [1.0, 2.0, 4.0], x, x)
        assert np.isfinite(cube.rate).all() and cube.rate.sum() > 0
        assert not any(m.split('.')[0] in ('astropy', 'gammapy', 'regions')
                       for m in sys.modules)
        print('ok')
    """, ('astropy', 'gammapy', 'regions'))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_a_fitted_model_that_goes_negative_is_clipped_to_zero_with_a_warning(caplog):
    def line(energy, offset=1.0, slope=0.0):
        return offset + slope * (energy - 1.5)
    edges = np.geomspace(1, 2, 10)
    energy = np.sqrt(edges[1:] * edges[:-1])
    model = RateModel(1, line, FitParameters.from_dicts({"offset": 50.0, "slope": 10.0}))
    # only energies above 1.5 TeV are fitted; the steep line is negative below ~1.25 TeV
    exposure = np.where(energy > 1.5, 1.0, 0.0)[:, None, None]
    counts = np.random.default_rng(1).poisson(np.clip(100 + 400 * (energy - 1.5), 0, None))
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        cube = fit_cube(model, counts[:, None, None] * exposure, exposure, edges, [0.0], [0.0])
    assert line(energy[0], *cube.results[(0, 0)].values) < 0
    assert np.all(cube.rate >= 0) and cube.rate[0, 0, 0] == 0
    assert "spatial bin (0, 0)" in caplog.text and "negative" in caplog.text
