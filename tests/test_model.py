"""baccmod.model: astropy models from functions, ready background models, and their
translation into the core's fits (bounds, fixed, tied)."""
import logging
import pickle

import numpy as np
import pytest
from astropy.modeling import FittableModel, ModelDefinitionError
from astropy.modeling.models import Const2D, Gaussian2D, Polynomial2D, PowerLaw1D

from baccmod.core.fit import fit_cube, fit_poisson, numeric_jacobian, scale_normalisation
from baccmod.errors import BaccmodTypeError, BaccmodValueError
from baccmod.model import (CustomModels, Gaussian2DLinearGradientsSpatial,
                           PLCutOffsEnergyxGaussGradSpatial, PowerLaw2CutOffsEnergy,
                           PowerLawCutOffsEnergy, PowerLawEnergyxGaussian2DSpatial,
                           bilinear_gradient, gaussian2d_bilinear_gradient,
                           plcutoffsenergy_gaussgradspatial,
                           powerlaw_inv_super_exp_cutoff_exp_cutoff,
                           powerlawenergy_gaussian2dspatial, rate_model)

FOV = np.linspace(-2.25, 2.25, 10)
LON, LAT = np.meshgrid(FOV, FOV, indexing="ij")
ENERGY_EDGES = np.geomspace(0.3, 30, 9)


def spectrum(energy, norm=1.0, index=2.0):
    return norm * energy ** -index


# --- CustomModels ---------------------------------------------------------------------------

def test_a_function_becomes_a_fittable_model_with_inputs_and_parameters():
    model = CustomModels(spectrum, norm=3.0)
    assert isinstance(model, FittableModel) and isinstance(model, CustomModels)
    assert model.inputs == ("energy",) and model.param_names == ("norm", "index")
    assert model.norm.value == 3.0 and model.index.value == 2.0
    assert model(2.0) == pytest.approx(3.0 / 4)


def test_a_model_class_from_a_function_makes_independent_instances():
    Spectrum = CustomModels.model_class(spectrum, name="Spectrum", bounds={"index": (1, 4)},
                                        fixed=["norm"])
    first, second = Spectrum(), Spectrum(index=3.0)
    assert issubclass(Spectrum, CustomModels) and Spectrum.__name__ == "Spectrum"
    assert first.index.value == 2.0 and second.index.value == 3.0
    assert first.bounds["index"] == (1, 4) and first.fixed["norm"]


@pytest.mark.parametrize("function, problem", [
    (3.0, "not callable"),
    (lambda *energy, norm=1.0: norm, "args"),
    (lambda energy, **parameters: energy, "kwargs"),
    (lambda energy, *, norm=1.0: norm, "keyword-only"),
    (lambda norm=1.0: norm, "0 inputs"),
    (lambda e, x, y, t, norm=1.0: norm, "4 inputs"),
    (lambda energy: energy, "no parameters"),
    (lambda energy, norm=None: energy, "finite number"),
    (lambda energy, norm="1": energy, "finite number"),
    (lambda energy, norm=np.inf: energy, "finite number"),
])
def test_bad_model_functions_raise_model_definition_errors(function, problem):
    with pytest.raises(ModelDefinitionError, match=problem):
        CustomModels(function)


def test_the_function_may_be_given_by_its_keyword_fnc_as_in_baccmod():
    model = CustomModels(fnc=spectrum, index=3.0)
    assert model.param_names == ("norm", "index") and model(2.0) == pytest.approx(1 / 8)


def test_a_subclass_may_name_its_function_in_its_constructor_as_in_baccmod():
    class Spectrum(CustomModels):
        def __init__(self):
            super().__init__(fnc=spectrum)
    model = Spectrum()
    assert isinstance(model, Spectrum) and isinstance(model, FittableModel)
    assert model.param_names == ("norm", "index") and model(2.0) == pytest.approx(1 / 4)
    assert Spectrum()(3.0) == pytest.approx(1 / 9)  # each instance is made anew


def test_custom_models_needs_a_function():
    with pytest.raises(ModelDefinitionError, match="needs the function"):
        CustomModels()


# --- ready models ---------------------------------------------------------------------------

SPECTRAL = (("amplitude", 1.0), ("index", 2.0), ("eref", 1.0), ("b", 2), ("ecl", 0.1),
            ("ech", 100.0))
SPATIAL = (("x_mean", 0.0), ("y_mean", 0.0), ("x_stddev", 1.0), ("y_stddev", 1.0),
           ("theta", 0.0))
GRADIENTS = (("x_gradient", 0), ("y_gradient", 0))
READY = [  # BAccMod's classes, their inputs and their parameters (name, default) in order
    (PowerLaw2CutOffsEnergy, ("e",), SPECTRAL),
    (Gaussian2DLinearGradientsSpatial, ("x", "y"), (("amplitude", 1.0),) + SPATIAL + GRADIENTS),
    (PowerLawEnergyxGaussian2DSpatial, ("e", "x", "y"),
     (("amplitude", 1.0), ("x_0", 1), ("alpha", 2.0)) + SPATIAL),
    (PLCutOffsEnergyxGaussGradSpatial, ("e", "x", "y"), SPECTRAL + SPATIAL + GRADIENTS),
]


@pytest.mark.parametrize("model_class, inputs, parameters", READY,
                         ids=[r[0].__name__ for r in READY])
def test_ready_models_have_baccmods_inputs_parameters_defaults_and_analytic_derivatives(
        model_class, inputs, parameters):
    model = model_class()
    assert model.inputs == inputs
    assert model.param_names == tuple(name for name, _ in parameters)
    np.testing.assert_array_equal(model.parameters, [value for _, value in parameters])
    assert model.fit_deriv is not None
    for reference in ("eref", "x_0"):
        if reference in model.param_names:
            assert model.fixed[reference]  # degenerate with the amplitude
    for width in ("x_stddev", "y_stddev"):
        if width in model.param_names:
            assert model.bounds[width][0] > 0
    assert pickle.loads(pickle.dumps(model)).param_names == model.param_names


def test_the_spectral_model_has_both_of_baccmods_names():
    assert PowerLawCutOffsEnergy is PowerLaw2CutOffsEnergy


E, X, Y = np.meshgrid(np.geomspace(0.2, 50, 5), FOV[::3], FOV[1::3], indexing="ij")
SPECTRAL_VALUES = dict(amplitude=2.0, index=2.4, eref=1.3, b=1.5, ecl=0.4, ech=20.0)
SPATIAL_VALUES = dict(x_mean=0.3, y_mean=-0.2, x_stddev=1.2, y_stddev=0.8, theta=0.5)
GRADIENT_VALUES = dict(x_gradient=0.1, y_gradient=-0.05)


def test_the_ready_functions_follow_baccmods_formulas():
    spectrum_ = (2.0 * (E / 1.3) ** -2.4 * np.exp(-(0.4 / E) ** 1.5) * np.exp(-E / 20.0))
    gaussian = Gaussian2D(1.0, **SPATIAL_VALUES)(X, Y)
    gradients = (1 + 0.1 * X) * (1 - 0.05 * Y)
    np.testing.assert_allclose(powerlaw_inv_super_exp_cutoff_exp_cutoff(E, **SPECTRAL_VALUES),
                               spectrum_, rtol=1e-12)
    np.testing.assert_allclose(bilinear_gradient(X, Y, **GRADIENT_VALUES), gradients,
                               rtol=1e-12)
    np.testing.assert_allclose(
        gaussian2d_bilinear_gradient(X, Y, 3.0, **SPATIAL_VALUES, **GRADIENT_VALUES),
        3.0 * gaussian * gradients, rtol=1e-12)
    np.testing.assert_allclose(
        powerlawenergy_gaussian2dspatial(E, X, Y, 2.0, 1.3, 2.4, **SPATIAL_VALUES),
        PowerLaw1D(2.0, 1.3, 2.4)(E) * gaussian, rtol=1e-12)
    np.testing.assert_allclose(
        plcutoffsenergy_gaussgradspatial(E, X, Y, **SPECTRAL_VALUES, **SPATIAL_VALUES,
                                         **GRADIENT_VALUES),
        spectrum_ * gaussian * gradients, rtol=1e-12)


@pytest.mark.parametrize("model", [
    PowerLaw2CutOffsEnergy(**SPECTRAL_VALUES),
    Gaussian2DLinearGradientsSpatial(amplitude=2.0, **SPATIAL_VALUES, **GRADIENT_VALUES),
    PowerLawEnergyxGaussian2DSpatial(amplitude=2.0, x_0=1.3, alpha=2.4, **SPATIAL_VALUES),
    PLCutOffsEnergyxGaussGradSpatial(**SPECTRAL_VALUES, **SPATIAL_VALUES, **GRADIENT_VALUES),
], ids=lambda m: type(m).__name__)
def test_ready_models_analytic_derivatives_are_in_their_parameter_order(model):
    inputs = {1: (E,), 2: (X[0], Y[0]), 3: (E, X, Y)}[model.n_inputs]
    values = np.array(model.parameters)
    derivatives = np.asarray(model.fit_deriv(*inputs, *values))
    for i, name in enumerate(model.param_names):
        step = 1e-6 * max(abs(values[i]), 1e-2)
        up, down = values.copy(), values.copy()
        up[i] += step
        down[i] -= step
        numeric = (model.evaluate(*inputs, *up) - model.evaluate(*inputs, *down)) / (2 * step)
        np.testing.assert_allclose(derivatives[i], numeric, rtol=1e-5, atol=1e-9,
                                   err_msg=name)


def test_ready_2d_model_without_gradients_is_astropys_gaussian2d():
    values = dict(amplitude=2.0, x_mean=0.3, y_mean=-0.1, x_stddev=1.2, y_stddev=0.8,
                  theta=0.7)
    np.testing.assert_allclose(Gaussian2DLinearGradientsSpatial(**values)(LON, LAT),
                               Gaussian2D(**values)(LON, LAT), rtol=1e-12)


def test_ready_model_defaults_can_be_overridden_per_instance():
    model = PowerLawCutOffsEnergy(index=3.0, fixed={"eref": False})
    assert model.index.value == 3.0 and not model.fixed["eref"]


# --- translation into the core -----------------------------------------------------------

def simulated_counts(model, exposure, seed=0):
    return np.random.default_rng(seed).poisson(model(LON, LAT) * exposure)


def fit_astropy(model, counts, exposure, normalisation=("amplitude",)):
    description = rate_model(model, normalisation)
    rate, jacobian = description.at(LON, LAT)
    seeds = scale_normalisation(rate, description.parameters, description.normalisation,
                                counts, exposure, exposure > 0)
    return description, fit_poisson(rate, seeds, counts, exposure, jacobian=jacobian)


def test_an_astropy_model_is_fitted_with_its_own_derivatives():
    truth = Gaussian2D(amplitude=3e-7, x_mean=0.2, y_mean=-0.3, x_stddev=1.4, y_stddev=1.0,
                       theta=0.4)
    exposure = np.full(LON.shape, 3e9)
    description, result = fit_astropy(Gaussian2D(x_stddev=1.2, theta=0.2),
                                      simulated_counts(truth, exposure), exposure)
    assert description.jacobian is not None and result.success
    assert np.all(np.abs(result.values - truth.parameters) < 4 * result.errors)


def test_fixed_parameters_keep_their_value_and_bounds_hold():
    truth = Gaussian2D(amplitude=3e-7, x_mean=0.2, y_mean=-0.3, x_stddev=1.4, y_stddev=1.0,
                       theta=0.4)
    exposure = np.full(LON.shape, 3e9)
    start = Gaussian2D(x_mean=0.2, y_mean=-0.5, x_stddev=1.2, theta=0.4,
                       fixed={"y_mean": True, "theta": True},
                       bounds={"x_stddev": (0.5, 1.3)})
    description, result = fit_astropy(start, simulated_counts(truth, exposure), exposure)
    values = dict(zip(description.parameters.names, result.values))
    assert values["y_mean"] == -0.5 and values["theta"] == 0.4
    assert values["x_stddev"] == pytest.approx(1.3, abs=1e-3)  # truth 1.4 is out of bounds


def test_tied_parameters_are_computed_not_fitted():
    truth = Gaussian2D(amplitude=3e-7, x_stddev=1.2, y_stddev=1.2)
    exposure = np.full(LON.shape, 3e9)
    start = Gaussian2D(x_stddev=1.0, y_stddev=1.0, theta=0.0, fixed={"theta": True},
                       tied={"y_stddev": lambda m: m.x_stddev.value})
    description, result = fit_astropy(start, simulated_counts(truth, exposure), exposure)
    assert "y_stddev" not in description.parameters.names
    assert description.jacobian is None  # the chain through a tie is differentiated numerically
    x_stddev = result.values[description.parameters.index("x_stddev")]
    assert abs(x_stddev - 1.2) < 4 * result.errors[description.parameters.index("x_stddev")]
    # the evaluated model uses the tie: equal to a free Gaussian with y_stddev = x_stddev
    free = dict(zip(description.parameters.names, result.values))
    np.testing.assert_allclose(description.function(LON, LAT, *result.values),
                               Gaussian2D(**free, y_stddev=x_stddev)(LON, LAT), rtol=1e-12)


def test_ready_3d_model_fits_a_simulated_cube():
    truth = PowerLawEnergyxGaussian2DSpatial(amplitude=1e-7, alpha=2.5, x_mean=0.3,
                                             x_stddev=1.5, y_stddev=1.1, theta=0.3)
    centres = np.sqrt(ENERGY_EDGES[1:] * ENERGY_EDGES[:-1])
    energy, lon, lat = np.meshgrid(centres, FOV, FOV, indexing="ij")
    exposure = 3e4 * np.diff(ENERGY_EDGES)[:, None, None] * 1e6 * np.ones(energy.shape)
    counts = np.random.default_rng(2).poisson(truth(energy, lon, lat) * exposure)
    start = PowerLawEnergyxGaussian2DSpatial(x_stddev=1.2, y_stddev=1.0, theta=0.2)
    cube = fit_cube(rate_model(start), counts, exposure, ENERGY_EDGES, FOV, FOV)
    result = cube.results[()]
    free = ~result.parameters.fixed
    assert np.all(np.abs(result.values - truth.parameters)[free] < 4 * result.errors[free])
    assert np.all(cube.rate_error > 0) and np.all(np.isfinite(cube.rate))


def test_a_custom_model_is_fitted_with_numeric_derivatives():
    def plane(fov_lon, fov_lat, amplitude=1.0, slope=0.0):
        return amplitude * (1 + slope * fov_lon)
    exposure = np.full(LON.shape, 1e9)
    truth = CustomModels(plane, amplitude=2e-6, slope=0.1)
    description, result = fit_astropy(CustomModels(plane), simulated_counts(truth, exposure),
                                      exposure)
    assert description.jacobian is None and result.success
    assert np.all(np.abs(result.values - [2e-6, 0.1]) < 4 * result.errors)


def test_models_that_cannot_be_fitted_are_refused_clearly():
    with pytest.raises(BaccmodTypeError, match="astropy model"):
        rate_model(lambda x: x)
    from astropy.modeling.models import Polynomial1D
    with pytest.raises(BaccmodValueError, match="normalisation parameters \\['amplitude'\\]"):
        rate_model(Polynomial1D(1))
    with pytest.raises(BaccmodTypeError, match="list of parameter names"):
        rate_model(Gaussian2D(), normalisation="amplitude")


def test_a_model_with_four_inputs_is_refused_naming_the_three_fit_shapes():
    from astropy.modeling.models import Gaussian1D
    four = Gaussian1D() & Gaussian1D() & Gaussian1D() & Gaussian1D()
    with pytest.raises(BaccmodValueError, match="4 inputs.*spectral fit per spatial bin"):
        rate_model(four)


def test_a_fixed_or_tied_normalisation_is_not_rescaled_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        description = rate_model(Gaussian2D(fixed={"amplitude": True}))
    assert description.normalisation == () and "'amplitude' is fixed" in caplog.text


@pytest.mark.parametrize("model", [Gaussian2D(1.0, 0.2, -0.1, 1.3, 0.9, 0.4),
                                   Gaussian2DLinearGradientsSpatial(x_gradient=0.1),
                                   Polynomial2D(2, c0_0=1.0, c1_0=0.2, c0_1=-0.1, c1_1=0.05)])
def test_analytic_derivatives_of_astropy_models_are_read_in_parameter_order(model):
    description = rate_model(model, normalisation=())
    rate, jacobian = description.at(LON, LAT)
    values = description.parameters.values
    numeric = numeric_jacobian(rate, values, 1e-6 * np.maximum(np.abs(values), 1e-2))
    np.testing.assert_allclose(jacobian(values), numeric, rtol=1e-5, atol=1e-8)


def test_a_compound_astropy_model_is_evaluated_through_the_core():
    compound = Gaussian2D(2.0, 0.1, 0.0, 1.0, 1.5) + Const2D(0.5)
    description = rate_model(compound, normalisation=("amplitude_0", "amplitude_1"))
    assert description.jacobian is None  # astropy gives compound models no derivatives
    np.testing.assert_allclose(description.function(LON, LAT, *description.parameters.values),
                               compound(LON, LAT), rtol=1e-12)
