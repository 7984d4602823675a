"""Model functions for fits: values, analytic derivatives, BAccMod 0.4.1's fit_fnc."""
import inspect

import numpy as np
import pytest

from baccmod.core import fit_models
from baccmod.core.fit import numeric_jacobian
from baccmod.errors import BaccmodTypeError, BaccmodValueError

ENERGY = np.geomspace(0.2, 50, 9)
FOV = np.linspace(-2.25, 2.25, 6)
E3, LON3, LAT3 = np.meshgrid(ENERGY, FOV, FOV, indexing="ij")
LON, LAT = np.meshgrid(FOV, FOV, indexing="ij")

SPECTRAL = [2e-7, 2.4, 1.3, 0.4, 1.7, 20.0]
GAUSS = [0.3, -0.2, 1.6, 1.1, 0.5]
GRADIENTS = [0.08, -0.05]
LEGACY = [500.0, 0.3, -0.2, 1.1, 1.6, 0.5]

CASES = {
    "powerlaw_cutoffs": ((ENERGY,), SPECTRAL),
    "gaussian2d_gradients": ((LON, LAT), [3e-7] + GAUSS + GRADIENTS),
    "powerlaw_gaussian2d": ((E3, LON3, LAT3), SPECTRAL[:3] + GAUSS),
    "powerlaw_cutoffs_gaussian2d_gradients": ((E3, LON3, LAT3), SPECTRAL + GAUSS + GRADIENTS),
    "gaussian2d": ((LON, LAT), LEGACY),
    "bilinear_gaussian2d": ((LON, LAT), LEGACY + GRADIENTS),
}


@pytest.mark.parametrize("name", CASES)
def test_analytic_derivatives_equal_finite_differences(name):
    coords, values = CASES[name]
    function = getattr(fit_models, name)
    analytic = getattr(fit_models, name + "_jacobian")(*coords, *values)
    values = np.array(values, dtype=float)
    numeric = numeric_jacobian(lambda v: function(*coords, *v), values,
                               1e-6 * np.maximum(np.abs(values), 1e-2))
    assert analytic.shape == (values.size,) + coords[0].shape
    for name_i, a, n in zip(inspect.signature(function).parameters, analytic, numeric):
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7 * np.abs(n).max(),
                                   err_msg=name_i)


def test_the_rotated_gaussian_is_astropys_gaussian2d():
    from astropy.modeling.models import Gaussian2D
    values = [3e-7] + GAUSS
    expected = Gaussian2D(*values)(LON, LAT)
    np.testing.assert_allclose(fit_models.gaussian2d_gradients(LON, LAT, *values, 0.0, 0.0),
                               expected, rtol=1e-12)


def test_3d_models_are_products_of_their_spectral_and_spatial_parts():
    full = fit_models.powerlaw_cutoffs_gaussian2d_gradients(E3, LON3, LAT3, *SPECTRAL, *GAUSS,
                                                             *GRADIENTS)
    spectral = fit_models.powerlaw_cutoffs(E3, *SPECTRAL)
    spatial = fit_models.gaussian2d_gradients(LON3, LAT3, 1.0, *GAUSS, *GRADIENTS)
    np.testing.assert_allclose(full, spectral * spatial, rtol=1e-12)
    cut_free = fit_models.powerlaw_cutoffs(E3, *SPECTRAL[:3], 1e-9, 1.0, 1e12)
    np.testing.assert_allclose(fit_models.powerlaw_gaussian2d(E3, LON3, LAT3, *SPECTRAL[:3],
                                                              *GAUSS),
                               cut_free * fit_models.gaussian2d_gradients(
                                   LON3, LAT3, 1.0, *GAUSS, 0.0, 0.0), rtol=1e-8)


# --- BAccMod 0.4.1 fit functions ------------------------------------------------------------

def test_legacy_gaussian_sums_to_its_size_and_peaks_at_its_centre():
    axis = np.linspace(-2, 2, 41)  # 0.1 steps
    x, y = np.meshgrid(axis, axis, indexing="ij")
    g = fit_models.gaussian2d(x, y, 1234.0, 0.5, -0.3, 0.4, 0.8, 0.0)
    assert g.sum() == pytest.approx(1234.0)
    centre = np.unravel_index(g.argmax(), g.shape)
    assert (axis[centre[0]], axis[centre[1]]) == pytest.approx((0.5, -0.3))
    # length (0.8) lies along psi = 0, the x axis: 0.4 deg along x beats 0.4 deg along y
    assert g[centre[0] + 4, centre[1]] > g[centre[0], centre[1] + 4]


def test_legacy_gaussian_far_outside_the_grid_stays_finite():
    g = fit_models.gaussian2d(LON, LAT, 100.0, 5.0, 5.0, 0.05, 0.05, 0.0)
    assert np.all(np.isfinite(g)) and g.sum() == pytest.approx(100.0)
    assert np.all(np.isfinite(fit_models.gaussian2d_jacobian(LON, LAT, 100.0, 5.0, 5.0, 0.05,
                                                             0.05, 0.0)))


def test_legacy_gradients_multiply_the_gaussian():
    g = fit_models.gaussian2d(LON, LAT, *LEGACY)
    b = fit_models.bilinear_gaussian2d(LON, LAT, *LEGACY, *GRADIENTS)
    np.testing.assert_allclose(b, g * (1 + GRADIENTS[0] * LON) * (1 + GRADIENTS[1] * LAT))


def test_legacy_model_of_a_name_has_0_4_1_defaults_with_size_from_the_counts():
    model = fit_models.legacy_rate_model("bilinear_gaussian2d")
    p = model.parameters
    assert p.names == ("size", "x_cm", "y_cm", "width", "length", "psi", "x_gradient",
                       "y_gradient")
    # psi is periodic: unbounded (a bound at its seed can trap migrad), not fixed
    assert (p.lower[p.index("psi")], p.upper[p.index("psi")]) == (-np.inf, np.inf)
    assert not p.fixed.any()
    assert (p.lower[p.index("width")], p.upper[p.index("width")]) == (-5, 5)
    assert model.normalisation == ("size",) and model.normalisation_bounds == (0.1, 10.0)
    assert model.n_inputs == 2 and model.jacobian is not None


def test_legacy_seeds_and_bounds_override_defaults_and_none_fixes():
    model = fit_models.legacy_rate_model("gaussian2d", fit_seeds={"width": 0.7, "size": 9.0},
                                         fit_bounds={"psi": None, "x_cm": (-1, 1)})
    p = model.parameters
    assert p.values[p.index("width")] == 0.7
    assert p.fixed[p.index("psi")] and not p.fixed[p.index("x_cm")]
    assert (p.lower[p.index("x_cm")], p.upper[p.index("x_cm")]) == (-1, 1)


def test_legacy_custom_function_needs_size_and_every_seed():
    def flat(x, y, size, slope):
        return size * (1 + slope * x) / np.sum(1 + slope * x)
    model = fit_models.legacy_rate_model(flat, fit_seeds={"slope": 0.0})
    assert model.parameters.names == ("size", "slope") and model.jacobian is None
    with pytest.raises(BaccmodValueError, match=r"fit_seeds for \['slope'\]"):
        fit_models.legacy_rate_model(flat)
    with pytest.raises(BaccmodValueError, match="needs a 'size'"):
        fit_models.legacy_rate_model(lambda x, y, norm: norm * x)
    with pytest.raises(BaccmodValueError, match=r"unknown parameters \['slop'\]"):
        fit_models.legacy_rate_model(flat, fit_seeds={"slope": 0.0, "slop": 1.0})


def test_legacy_unknown_names_are_refused():
    with pytest.raises(BaccmodValueError, match="'gauss' is not a built-in"):
        fit_models.legacy_rate_model("gauss")
    with pytest.raises(BaccmodTypeError, match="fit_fnc must be"):
        fit_models.legacy_rate_model(3)


def test_legacy_fit_recovers_the_rate_behind_partially_excluded_counts():
    energy_edges = np.geomspace(0.5, 8, 5)
    full_exposure = 1e4 * np.diff(energy_edges)[:, None, None] * 1e6 * np.ones((1, 6, 6))
    fraction = np.ones((6, 6))
    fraction[1:3, 3:5] = 0.3  # an exclusion region covering part of these bins
    fraction[0, 0] = 0.0  # and all of this one
    exposure = full_exposure * fraction
    true_rate = np.stack([fit_models.gaussian2d(LON, LAT, 2e5 / e ** 2, *LEGACY[1:])
                          for e in energy_edges[:-1]]) / full_exposure
    rng = np.random.default_rng(0)
    rates = []
    for _ in range(20):
        counts = rng.poisson(true_rate * exposure)
        cube = fit_models.fit_legacy_cube(fit_models.legacy_rate_model(), counts, exposure,
                                          full_exposure, energy_edges, FOV, FOV)
        assert all(r.success for r in cube.results.values())
        rates.append(cube.rate)
    # unbiased where excluded too: the mean of 20 fits is within 3 errors of the mean
    pull = (np.mean(rates, axis=0) - true_rate) / (cube.rate_error / np.sqrt(20))
    assert np.all(np.abs(pull) < 4) and np.all(cube.rate_error > 0)


def test_legacy_full_exposure_must_be_positive():
    model = fit_models.legacy_rate_model()
    shape = (2,) + LON.shape
    with pytest.raises(BaccmodValueError, match="full_exposure"):
        fit_models.fit_legacy_cube(model, np.ones(shape), np.ones(shape), np.zeros(shape),
                                   np.array([1.0, 2, 3]), FOV, FOV)


def test_legacy_functions_keep_0_4_1_signatures():
    assert list(inspect.signature(fit_models.gaussian2d).parameters) == [
        "x", "y", "size", "x_cm", "y_cm", "width", "length", "psi"]
    assert list(inspect.signature(fit_models.bilinear_gaussian2d).parameters)[-2:] == [
        "x_gradient", "y_gradient"]
