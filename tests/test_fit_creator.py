"""Fitted 3D models as BAccMod users call them: ``FitAcceptanceMapCreator`` and
``Grid3DAcceptanceMapCreator(method="fit")``, on simulated runs with a sparse background
whose truth has the fitted model's form (see ``fit_simulation.py``).

With one simulated data set, the fitted parameters are checked together: the chi-square
``d^T C^-1 d`` of their deviations ``d`` from the truth under the fit's covariance ``C`` (or
the sum of squared pulls of independent fits) stays below its 99.9 % quantile.
"""
import logging

import numpy as np
import pytest
from astropy import units as u
from astropy.modeling import custom_model
from astropy.modeling.models import Gaussian1D, Gaussian2D, PowerLaw1D
from gammapy.irf import Background3D, FoVAlignment
from gammapy.maps import MapAxis
from scipy.stats import chi2

import fit_simulation as sim
from baccmod import (BaccmodTypeError, BaccmodValueError, FitAcceptanceMapCreator,
                     Grid3DAcceptanceMapCreator)
from baccmod.model import PowerLawEnergyxGaussian2DSpatial
from baccmod.modeling import gaussian2d

RATE = u.Unit("s-1 MeV-1 sr-1")
#: The fitted models' scale (BAccMod's): rates per TeV.
PER_TEV = u.Unit("s-1 TeV-1 sr-1").to(RATE)
ENERGY_FINE = MapAxis.from_energy_bounds(0.5, 16, 10, unit="TeV", name="energy")
SPATIAL = ("x_mean", "y_mean", "x_stddev", "y_stddev")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return sim.simulate(tmp_path_factory.mktemp("sparse_fit_runs"))


def creator(model=None, **options):
    options = {"oversample_map": sim.OVERSAMPLE, "exclude_regions": [sim.EXCLUSION], **options}
    if model is None:
        return Grid3DAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, **options)
    return FitAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, model_to_fit=model, **options)


def global_model():
    """The truth's form with seeds away from it (theta within a quarter turn of it)."""
    return PowerLawEnergyxGaussian2DSpatial(alpha=2.0, x_stddev=1.0, y_stddev=1.0, theta=0.2)


def truth_values(names, **overrides):
    truth = sim.truth_model()
    return np.array([overrides.get(n, getattr(truth, n).value) for n in names])


def parameter_chi_square(result, truth, ignore=()):
    """(d^T C^-1 d, number of parameters) of a FitResult's free parameters (but those named
    in ``ignore``, marginalised) against their true values."""
    free = ~result.parameters.fixed & ~np.isin(result.parameters.names, ignore)
    deviation = (result.values - truth)[free]
    covariance = result.covariance[np.ix_(free, free)]
    return float(deviation @ np.linalg.solve(covariance, deviation)), int(free.sum())


def assert_chi_square_below_quantile(value, dof):
    assert value < chi2.ppf(0.999, dof), (value, dof)


def test_the_simulated_background_is_sparse(runs):
    stacked = creator()
    stacked.create_model(runs)
    assert 2000 < stacked.counts.sum() < 4000
    assert np.median(stacked.counts) <= 5
    assert np.mean((stacked.counts >= 1) & (stacked.counts <= 10)) > 0.4


# --- the three fit shapes --------------------------------------------------------------

@pytest.fixture(scope="module")
def global_fit(runs):
    fitted = creator(global_model())
    return fitted, fitted.create_model(runs)


def test_a_3d_model_is_fitted_once_and_recovers_the_truth(global_fit):
    fitted, model = global_fit
    assert isinstance(model, Background3D) and model.fov_alignment == FoVAlignment.ALTAZ
    assert list(fitted.fit_result.results) == [()]
    result = fitted.fit_result.results[()]
    assert result.success and result.parameters.names[0] == "amplitude"
    assert_chi_square_below_quantile(
        *parameter_chi_square(result, truth_values(result.parameters.names)))


def test_a_3d_model_per_bin_is_the_truth_within_its_fitted_error(global_fit):
    fitted, model = global_fit
    error = fitted.rate_error.to_value(RATE)
    pulls = (model.quantity.to_value(RATE) - sim.truth_rate()) / error
    # every bin's pull is a projection of the parameters' deviation: it is bounded by the
    # square root of their chi-square
    assert np.abs(pulls).max() < np.sqrt(chi2.ppf(0.999, 7))
    # the rate error comes from the fit's covariance, far below the counting error
    np.testing.assert_allclose(error, fitted.fit_result.rate_error * PER_TEV)
    counted = np.sqrt(np.maximum(fitted.counts, 1)) / fitted.exposure
    assert np.median(error / counted) < 0.3


def test_residuals_per_fitted_piece_are_reported(global_fit):
    fitted, _ = global_fit
    assert len(fitted.sq_rel_residuals["mean"]) == len(fitted.sq_rel_residuals["std"]) == 1
    assert abs(fitted.sq_rel_residuals["mean"][0]) < 0.2
    assert 0.7 < fitted.sq_rel_residuals["std"][0] < 1.3


def test_a_2d_model_is_fitted_per_energy_bin_and_recovers_the_truth(runs):
    model = Gaussian2D(x_stddev=1.0, y_stddev=1.0, theta=sim.TRUTH["theta"])
    model.theta.fixed = True
    model.x_stddev.bounds = model.y_stddev.bounds = (0.05, 5.0)
    fitted = creator(model)
    fitted.create_model(runs)
    results = fitted.fit_result.results
    assert list(results) == [(e,) for e in range(sim.ENERGY.nbin)]
    truth = sim.truth_model()
    energy = sim.ENERGY.center.to_value("TeV")
    total, dof = 0.0, 0
    for (e,), result in gaussian_regime(results, fitted.counts.sum(axis=(1, 2))):
        amplitude = truth(energy[e], truth.x_mean, truth.y_mean)
        expected = truth_values(result.parameters.names, amplitude=amplitude)
        assert result.values[result.parameters.index("theta")] == sim.TRUTH["theta"]
        value, n = parameter_chi_square(result, expected)
        total, dof = total + value, dof + n
    assert dof >= 3 * 5
    assert_chi_square_below_quantile(total, dof)


def gaussian_regime(results, counts_per_energy, minimum=50):
    """The per-energy fits of bins with enough counts for a Gaussian likelihood (the errors
    of a 5-parameter fit on ~20 events are not)."""
    return [((e,), result) for (e,), result in results.items()
            if counts_per_energy[e] >= minimum]


def test_a_1d_model_is_fitted_per_spatial_bin_and_recovers_the_truth(runs):
    model = PowerLaw1D(amplitude=1.0, x_0=1.0, alpha=2.0)
    model.x_0.fixed = True
    fitted = creator(model)
    fitted.create_model(runs)
    results = fitted.fit_result.results
    n_side = 2 * sim.OFFSET.nbin
    assert set(results) == {(i, j) for i in range(n_side) for j in range(n_side)}
    truth = sim.truth_model()
    _, lon, lat = (c[0] for c in sim.bin_centres())
    total, dof = 0.0, 0
    for (i, j), result in results.items():
        if fitted.counts[:, i, j].sum() < 30:  # a likelihood far from Gaussian
            continue
        amplitude = truth(truth.x_0, lon[i, j], lat[i, j])
        expected = {"amplitude": amplitude, "x_0": 1.0, "alpha": sim.TRUTH["alpha"]}
        value, n = parameter_chi_square(result, [expected[n] for n in result.parameters.names])
        total, dof = total + value, dof + n
    assert dof >= 20
    assert_chi_square_below_quantile(total, dof)


def four_inputs(a, b, c, d, scale=1.0):
    return scale * (a + b + c + d)


@pytest.mark.parametrize("model, error, message", [
    (lambda energy: energy, BaccmodTypeError, "must be an astropy model"),
    (Gaussian2D, BaccmodTypeError, "must be an astropy model"),
    (custom_model(four_inputs)(), BaccmodValueError, "has 4 inputs"),
    (Gaussian1D() & Gaussian1D(), BaccmodValueError, "2 outputs"),
])
def test_models_of_other_shapes_are_refused_by_the_constructor(model, error, message):
    with pytest.raises(error, match=message):
        FitAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, model_to_fit=model)


@pytest.mark.parametrize("options, error, message", [
    ({"list_name_normalisation_parameter": ["amplitude", "bad_param"]}, BaccmodValueError,
     r"\['bad_param'\] are not parameters of Gaussian2D"),
    ({"list_name_normalisation_parameter": "amplitude"}, BaccmodTypeError,
     "must be a list of parameter names"),
    ({"maxiter": 0}, BaccmodValueError, "maxiter must be a whole number"),
    ({"maxiter": 2.5}, BaccmodValueError, "maxiter must be a whole number"),
    ({"maxiter": "10"}, BaccmodTypeError, "maxiter must be a whole number"),
    ({"method": "fit"}, BaccmodTypeError, "method are options of Grid3DAcceptanceMapCreator"),
    ({"oversample_map": 0}, BaccmodValueError, "oversample_map"),
])
def test_options_are_checked_by_the_constructor(options, error, message):
    with pytest.raises(error, match=message):
        FitAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, **options)


def test_defaults_fit_a_gaussian2d_per_energy_bin_with_baccmods_options(runs):
    fitted = FitAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, oversample_map=sim.OVERSAMPLE)
    assert isinstance(fitted.model_to_fit, Gaussian2D)
    assert fitted.list_name_normalisation_parameter == ["amplitude"] and fitted.maxiter == 1000
    assert not hasattr(fitted, "method") and not hasattr(fitted, "fit_fnc")
    model = fitted.create_model(runs)
    assert list(fitted.fit_result.results) == [(e,) for e in range(sim.ENERGY.nbin)]
    assert np.all(np.isfinite(model.data)) and np.all(model.data > 0)


# --- bounds, fixed, tied; failures ------------------------------------------------------

def test_bounds_fixed_and_tied_parameters_are_honoured(runs):
    model = global_model()
    model.x_mean = 0.0
    model.x_mean.fixed = True
    model.x_stddev.bounds = (0.5, 1.0)  # the truth, 1.3, is outside
    model.y_stddev.tied = lambda m: m.x_stddev.value
    fitted = creator(model)
    fitted.create_model(runs)
    result = fitted.fit_result.results[()]
    names = result.parameters.names
    assert "y_stddev" not in names  # tied: computed, not fitted
    assert result.values[names.index("x_mean")] == 0.0
    assert result.errors[names.index("x_mean")] == 0.0
    assert 0.5 <= result.values[names.index("x_stddev")] <= 1.0
    values = dict(zip(names, result.values))
    expected = PowerLawEnergyxGaussian2DSpatial(**values, y_stddev=values["x_stddev"])
    np.testing.assert_allclose(fitted.fit_result.rate, expected(*sim.bin_centres()),
                               rtol=1e-12)


def test_a_normalisation_bound_the_data_cannot_meet_is_refused_naming_it(runs):
    model = PowerLaw1D()
    model.amplitude.bounds = (None, 1e-12)  # far below the rate in s-1 TeV-1 sr-1
    with pytest.raises(BaccmodValueError, match="'amplitude'.*outside its bounds"):
        creator(model).create_model(runs)


def test_bounds_on_baccmods_scale_are_met(runs):
    """Models are rates in s-1 TeV-1 sr-1, as in BAccMod: its tests' bounds carry over."""
    model = PowerLawEnergyxGaussian2DSpatial(alpha=2.0, x_stddev=1.0, y_stddev=1.0)
    model.amplitude.bounds = (0.5, None)
    fitted = creator(model)
    fitted.create_model(runs)
    assert fitted.fit_result.results[()].success


def test_a_fit_that_does_not_converge_warns_naming_it_and_stays_finite(runs, caplog):
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        far = PowerLawEnergyxGaussian2DSpatial(alpha=2.0, x_stddev=0.05, y_stddev=0.05,
                                               x_mean=1.5, y_mean=-1.5, theta=0.2)
        model = creator(far, maxiter=5).create_model(runs)
    assert "model: global fit: the fit did not converge" in caplog.text
    assert np.all(np.isfinite(model.data))


# --- energy axes, zenith bins, per-run models -------------------------------------------

def fitted_function(result, model_class=PowerLawEnergyxGaussian2DSpatial):
    return model_class(**dict(zip(result.parameters.names, result.values)))


def test_the_fit_is_on_the_computation_axis_then_interpolated(runs):
    fitted = creator(global_model(), energy_axis_computation=ENERGY_FINE)
    model = fitted.create_model(runs)
    assert fitted.energy_axis_computation.nbin == fitted.fit_result.rate.shape[0] == 10
    function = fitted_function(fitted.fit_result.results[()])
    # a power law in energy: log-log interpolation between computation bins is exact
    np.testing.assert_allclose(model.quantity.to_value(RATE),
                               function(*sim.bin_centres(sim.ENERGY)) * PER_TEV, rtol=1e-9)


def test_energies_reach_the_model_in_tev_whatever_the_axis_unit(runs, global_fit):
    in_gev = MapAxis.from_energy_edges(sim.ENERGY.edges.to(u.GeV), name="energy")
    fitted = FitAcceptanceMapCreator(in_gev, sim.OFFSET, model_to_fit=global_model(),
                                     oversample_map=sim.OVERSAMPLE,
                                     exclude_regions=[sim.EXCLUSION])
    fitted.create_model(runs)
    in_tev = global_fit[0].fit_result.results[()]
    # the same fit up to migrad's tolerance: far within the parameters' errors
    assert np.all(np.abs(fitted.fit_result.results[()].values - in_tev.values)
                  <= 0.01 * in_tev.errors + 1e-12)


def test_with_a_dynamic_energy_axis_the_merged_bins_are_fitted(runs):
    fitted = creator(Gaussian2D(), energy_axis_computation=ENERGY_FINE,
                     dynamic_energy_axis=True, dynamic_energy_axis_target_statistics=5)
    model = fitted.create_model(runs)
    merged = fitted.energy_axis_computation.nbin
    assert 1 < merged < ENERGY_FINE.nbin
    assert list(fitted.fit_result.results) == [(e,) for e in range(merged)]
    assert np.all(np.isfinite(model.data)) and np.all(model.data > 0)


def test_each_zenith_bin_is_fitted_on_its_own_runs(runs):
    options = {"cos_zenith_binning_parameter_value": 1000}
    fitted = creator(global_model(), **options)
    collection = fitted.create_acceptance_model(runs, zenith_binning=True)
    assert len(fitted.zenith_bins) == len(fitted.fit_results) == len(collection) >= 2
    for zenith_bin in fitted.zenith_bins:
        own = [obs for obs in runs if obs.obs_id in zenith_bin.obs_ids]
        alone = creator(global_model(), **options).create_model(own)
        np.testing.assert_allclose(collection[zenith_bin.zenith_deg].data, alone.data,
                                   rtol=1e-6)
    assert len(fitted.sq_rel_residuals["mean"]) == len(fitted.zenith_bins)


def test_per_run_models_come_from_the_fitted_zenith_models(runs):
    fitted = creator(global_model(), cos_zenith_binning_parameter_value=1000)
    models = fitted.create_acceptance_map_per_observation(runs, zenith_binning=True,
                                                          runwise_normalisation=False)
    assert sorted(models) == sorted(obs.obs_id for obs in runs)
    collection = fitted.create_acceptance_model(runs, zenith_binning=True)
    for zenith_bin in fitted.zenith_bins:
        for obs_id in zenith_bin.obs_ids:
            np.testing.assert_allclose(models[obs_id].data,
                                       collection[zenith_bin.zenith_deg].data, rtol=1e-9)


# --- BAccMod 0.4.1: Grid3DAcceptanceMapCreator(method="fit") ----------------------------

LEGACY_BOUNDS = {"width": (0.05, 5), "length": (0.05, 5), "psi": (-0.6, 1.4)}


def legacy_fit(runs, fit_fnc="gaussian2d"):
    fitted = creator(method="fit", fit_fnc=fit_fnc, fit_seeds={"psi": 0.2},
                     fit_bounds=LEGACY_BOUNDS)
    return fitted, fitted.create_model(runs)


def test_method_fit_recovers_the_gaussian_of_each_energy_bin(runs):
    fitted, model = legacy_fit(runs)
    assert isinstance(model, Background3D) and fitted.method == "fit"
    results = fitted.fit_result.results
    assert list(results) == [(e,) for e in range(sim.ENERGY.nbin)]
    truth = dict(x_cm=sim.TRUTH["x_mean"], y_cm=sim.TRUTH["y_mean"],
                 length=sim.TRUTH["x_stddev"], width=sim.TRUTH["y_stddev"],
                 psi=sim.TRUTH["theta"])
    total, dof = 0.0, 0
    for _, result in gaussian_regime(results, fitted.counts.sum(axis=(1, 2))):
        names = result.parameters.names
        value, n = parameter_chi_square(result, [truth.get(n, 0.0) for n in names],
                                        ignore=["size"])  # counts over the grid: no truth
        total, dof = total + value, dof + n
    assert dof >= 3 * 5
    assert_chi_square_below_quantile(total, dof)
    rate_ratio = model.quantity.to_value(RATE).sum(axis=(1, 2)) / sim.truth_rate().sum(
        axis=(1, 2))
    assert np.all(np.abs(rate_ratio - 1) < 4 / np.sqrt(fitted.counts.sum(axis=(1, 2))))


def test_method_fit_takes_baccmods_modeling_functions_as_their_names(runs):
    by_name = legacy_fit(runs)[1]
    by_function = legacy_fit(runs, gaussian2d)[1]
    np.testing.assert_allclose(by_function.data, by_name.data, rtol=1e-9)


def test_method_stack_keeps_no_fit_and_warns_about_unused_fit_options(caplog):
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        stacked = Grid3DAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, fit_fnc="gaussian")
    assert "fit_fnc given with method='stack' are not used" in caplog.text
    assert stacked.fit_result is None and stacked.sq_rel_residuals == {"mean": [], "std": []}
