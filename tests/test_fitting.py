"""BAccMod's helper modules of the fits: ``baccmod.fitting`` (poisson_fitter, log_poisson,
log_factorial) and 0.4.1's ``baccmod.modeling`` (fit functions with their defaults)."""
import math

import numpy as np
import pytest
from astropy.modeling.models import Gaussian1D, Gaussian2D

from baccmod import BaccmodValueError
from baccmod import fitting, modeling
from baccmod.core import fit_models

X = np.linspace(-3, 3, 40)
X2, Y2 = np.meshgrid(X, X, indexing="ij")


def test_poisson_fitter_returns_the_model_at_its_fitted_values():
    truth = Gaussian2D(amplitude=30.0, x_mean=0.4, y_mean=-0.3, x_stddev=1.1, y_stddev=0.7,
                       theta=0.0)
    counts = np.random.default_rng(2).poisson(truth(X2, Y2) * 0.5)
    seed = Gaussian2D(amplitude=10.0, x_stddev=1.0, y_stddev=1.0)
    seed.theta.fixed = True
    fitted = fitting.poisson_fitter(seed, X2, Y2, data=counts, exposure_correction=0.25,
                                    bin_size=2.0)
    assert type(fitted) is Gaussian2D and fitted is not seed and seed.amplitude == 10.0
    np.testing.assert_allclose([fitted.x_mean.value, fitted.y_mean.value], [0.4, -0.3],
                               atol=0.05)
    np.testing.assert_allclose([fitted.x_stddev.value, fitted.y_stddev.value], [1.1, 0.7],
                               rtol=0.05)
    assert fitted.amplitude.value == pytest.approx(30.0, rel=0.05)
    assert fitted.theta.value == 0.0


def test_poisson_fitter_recomputes_tied_parameters_and_leaves_out_masked_bins():
    truth = Gaussian1D(amplitude=50.0, mean=0.2, stddev=0.8)
    counts = np.random.default_rng(3).poisson(truth(X)).astype(float)
    counts[:5] = 1e4  # outliers, masked
    seed = Gaussian1D(amplitude=20.0, mean=0.0, stddev=1.0)
    seed.stddev.tied = lambda m: 4 * m.mean.value
    fitted = fitting.poisson_fitter(seed, X, data=counts, mask=np.arange(X.size) >= 5)
    assert fitted.stddev.value == pytest.approx(4 * fitted.mean.value)
    assert fitted.mean.value == pytest.approx(0.2, abs=0.05)
    assert fitted.amplitude.value == pytest.approx(50.0, rel=0.15)


def test_log_poisson_is_the_log_of_the_poisson_probability_in_both_argument_orders():
    counts = np.array([0, 1, 4, 10])
    mu = np.array([0.5, 2.0, 4.0, 7.5])
    expected = [math.log(m ** n * math.exp(-m) / math.factorial(n)) for n, m in zip(counts, mu)]
    log_factorial = modeling.log_factorial(counts)
    np.testing.assert_allclose(log_factorial, [math.lgamma(n + 1) for n in counts])
    np.testing.assert_allclose(modeling.log_poisson(counts, mu, log_factorial), expected)
    np.testing.assert_allclose(fitting.log_poisson(mu, counts, log_factorial), expected)
    np.testing.assert_array_equal(fitting.log_factorial(counts), modeling.log_factorial(counts))


def test_log_poisson_refuses_impossible_expectations_and_counts():
    assert modeling.log_poisson(np.array([0]), np.array([0.0]), np.array([0.0]))[0] == 0.0
    with pytest.raises(BaccmodValueError, match="> 0 where counts were seen"):
        modeling.log_poisson(np.array([2]), np.array([0.0]), np.array([0.7]))
    with pytest.raises(BaccmodValueError, match="non-negative whole counts"):
        modeling.log_factorial(np.array([1.5]))


@pytest.mark.parametrize("name", ["gaussian2d", "bilinear_gaussian2d"])
def test_modeling_functions_are_the_legacy_fit_functions_with_their_defaults(name):
    function = modeling.FIT_FUNCTION[name]
    core_function, core_jacobian, seeds, bounds = fit_models.LEGACY_FIT_FUNCTIONS[name]
    assert function is getattr(modeling, name)
    assert function.default_seeds == seeds and function.default_bounds == bounds
    arguments = [X2, Y2, 100.0] + list(seeds.values())
    np.testing.assert_array_equal(function(*arguments), core_function(*arguments))
    as_fit_fnc = fit_models.legacy_rate_model(function)
    assert as_fit_fnc.jacobian is core_jacobian  # fitted with analytic derivatives
    assert as_fit_fnc.parameters.names == fit_models.legacy_rate_model(name).parameters.names
