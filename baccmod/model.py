"""Background models as astropy models, and their translation for baccmod's fits.

- :class:`CustomModels` turns a Python function into an astropy ``FittableModel``: the
  arguments without defaults are its inputs, those with defaults its parameters.
- Ready models for IACT backgrounds (rates in s-1 TeV-1 sr-1, energy in TeV, fov_lon and
  fov_lat in deg), built on the functions of :mod:`baccmod.core.fit_models` with analytic
  derivatives: :class:`PowerLawCutOffsEnergy` (1 input), :class:`Gaussian2DLinearGradientsSpatial`
  (2), :class:`PowerLawEnergyxGaussian2DSpatial` (3), :class:`PLCutOffsEnergyxGaussGradSpatial`
  (3).
- :func:`rate_model` translates any astropy model (its ``bounds``, ``fixed`` and ``tied``)
  into the :class:`~baccmod.core.fit.RateModel` the core fits.

A model's inputs are ordered (energy), (fov_lon, fov_lat) or (energy, fov_lon, fov_lat); their
number chooses the fit (:func:`baccmod.core.fit.fit_cube`).
"""
import inspect
import logging
import numbers

import numpy as np
from astropy.modeling import FittableModel, Model, Parameter, custom_model
from astropy.modeling.core import ModelDefinitionError

from .core import fit_models
from .core.fit import FitParameters, RateModel
from .errors import BaccmodTypeError, BaccmodValueError

log = logging.getLogger(__name__)

__all__ = ["CustomModels", "PowerLawCutOffsEnergy", "Gaussian2DLinearGradientsSpatial",
           "PowerLawEnergyxGaussian2DSpatial", "PLCutOffsEnergyxGaussGradSpatial",
           "rate_model"]


class CustomModels(FittableModel):
    """An astropy ``FittableModel`` made from a Python function.

    ``CustomModels(function, **parameter_values)`` returns a model instance;
    ``CustomModels.model_class(function)`` the model class (for a named, reusable model).

    Parameters
    ----------
    function : callable
        ``function(input_1, ..., parameter_1=default_1, ...)``: 1 to 3 inputs without defaults
        (ordered (energy), (fov_lon, fov_lat) or (energy, fov_lon, fov_lat)), then at least one
        parameter with a numeric default. Vectorised over the inputs.
    **parameter_values
        Initial parameter values other than the defaults.

    Raises
    ------
    astropy.modeling.ModelDefinitionError
        If ``function`` cannot define such a model.
    """

    def __new__(cls, *args, **kwargs):
        if getattr(cls, "_from_function", False):
            return super().__new__(cls)
        if not args:
            raise ModelDefinitionError("CustomModels needs the function to turn into a model: "
                                       "CustomModels(function).")
        model = cls.model_class(args[0])(*args[1:], **kwargs)
        model._initialised = True
        return model

    def __init__(self, *args, **kwargs):
        if not self.__dict__.pop("_initialised", False):
            super().__init__(*args, **kwargs)
            self.inputs = self._input_names

    @classmethod
    def model_class(cls, function, fit_deriv=None, name=None, doc=None, bounds=None,
                    fixed=()):
        """A ``FittableModel`` subclass (and a CustomModels) evaluating ``function``.

        Parameters
        ----------
        function : callable
            As for the class.
        fit_deriv : callable, optional
            Same signature; returns the derivatives with respect to the parameters.
        name, doc : str, optional
            Class name and docstring (default: the function's).
        bounds : dict, optional
            Default ``(lower, upper)`` bounds by parameter name (None: no bound).
        fixed : sequence of str
            Parameters fixed by default.
        """
        inputs = _check_model_function(function)
        try:
            base = custom_model(function)
        except (TypeError, ValueError) as error:
            raise ModelDefinitionError(f"{_describe(function)}: {error}") from error
        name = name or base.__name__
        members = {"_from_function": True, "_input_names": tuple(inputs),
                   "__doc__": doc or base.__doc__,
                   "__module__": getattr(function, "__module__", None) or base.__module__,
                   "__qualname__": name}
        if fit_deriv is not None:
            members["fit_deriv"] = staticmethod(fit_deriv)
        for parameter in set(bounds or {}) | set(fixed):
            members[parameter] = Parameter(
                parameter, default=getattr(base, parameter).default,
                bounds=(bounds or {}).get(parameter), fixed=parameter in fixed)
        return type(name, (cls, base), members)


def _describe(function):
    return f"function {getattr(function, '__name__', repr(function))}"


def _check_model_function(function):
    """The names of the inputs of ``function``; raises ModelDefinitionError unless it has 1-3
    inputs and parameters with numeric defaults."""
    if not callable(function):
        raise ModelDefinitionError(f"{function!r} is not callable; give a function "
                                   "f(inputs..., parameter=default, ...).")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as error:
        raise ModelDefinitionError(f"{_describe(function)}: no signature to read ({error}).")
    arguments = list(signature.parameters.values())
    if any(a.kind in (a.VAR_POSITIONAL, a.VAR_KEYWORD, a.KEYWORD_ONLY) for a in arguments):
        raise ModelDefinitionError(f"{_describe(function)}: *args, **kwargs and keyword-only "
                                   "arguments cannot be model inputs or parameters; give "
                                   "every input and parameter as a positional argument.")
    inputs = [a.name for a in arguments if a.default is a.empty]
    parameters = [a for a in arguments if a.default is not a.empty]
    if not 1 <= len(inputs) <= 3:
        raise ModelDefinitionError(
            f"{_describe(function)} has {len(inputs)} inputs {inputs} (arguments without "
            "defaults); a background model has 1 (energy), 2 (fov_lon, fov_lat) or 3 "
            "(energy, fov_lon, fov_lat).")
    if not parameters:
        raise ModelDefinitionError(f"{_describe(function)} has no parameters; give them as "
                                   "arguments with defaults, e.g. amplitude=1.0.")
    for argument in parameters:
        default = argument.default
        if isinstance(default, bool) or not isinstance(default, numbers.Real) \
                or not np.isfinite(default):
            raise ModelDefinitionError(
                f"{_describe(function)}: parameter {argument.name!r} has the default "
                f"{argument.default!r}; a parameter's default must be a finite number.")
    return inputs


#: Default bounds of the ready models: positive widths and cut-offs, a sharpness that keeps
#: the low cut-off smooth; ``e_ref`` is fixed (it is degenerate with ``amplitude``).
_READY_BOUNDS = {"x_stddev": (1e-3, None), "y_stddev": (1e-3, None),
                 "low_cutoff": (1e-6, None), "low_cutoff_index": (0.1, 20.0),
                 "high_cutoff": (1e-6, None)}


def _ready_model(name, function, jacobian):
    names = list(inspect.signature(function).parameters)
    return CustomModels.model_class(
        function, jacobian, name, function.__doc__,
        bounds={k: v for k, v in _READY_BOUNDS.items() if k in names},
        fixed=[k for k in ("e_ref",) if k in names])


PowerLawCutOffsEnergy = _ready_model(
    "PowerLawCutOffsEnergy", fit_models.powerlaw_cutoffs,
    fit_models.powerlaw_cutoffs_jacobian)
Gaussian2DLinearGradientsSpatial = _ready_model(
    "Gaussian2DLinearGradientsSpatial", fit_models.gaussian2d_gradients,
    fit_models.gaussian2d_gradients_jacobian)
PowerLawEnergyxGaussian2DSpatial = _ready_model(
    "PowerLawEnergyxGaussian2DSpatial", fit_models.powerlaw_gaussian2d,
    fit_models.powerlaw_gaussian2d_jacobian)
PLCutOffsEnergyxGaussGradSpatial = _ready_model(
    "PLCutOffsEnergyxGaussGradSpatial", fit_models.powerlaw_cutoffs_gaussian2d_gradients,
    fit_models.powerlaw_cutoffs_gaussian2d_gradients_jacobian)
for _ready in (PowerLawCutOffsEnergy, Gaussian2DLinearGradientsSpatial,
               PowerLawEnergyxGaussian2DSpatial, PLCutOffsEnergyxGaussGradSpatial):
    _ready.__module__ = __name__


def rate_model(model, normalisation=("amplitude",)):
    """The core's description of an astropy model: parameters, numpy rate and derivatives.

    Free parameters are the model's parameters that are not ``tied``; ``tied`` ones are
    computed from them at each evaluation; ``fixed`` ones keep their value; ``bounds`` become
    the fit's bounds. The rate is ``model.evaluate`` (no astropy call overhead); the
    analytic derivatives ``model.fit_deriv`` are used when the model has them and no tied
    parameter.

    Parameters
    ----------
    model : astropy.modeling.Model
        1, 2 or 3 inputs ((energy), (fov_lon, fov_lat), (energy, fov_lon, fov_lat)), one
        output, parameters without units.
    normalisation : sequence of str
        Parameters scaled together to the counts before each fit; tied or fixed ones are left
        as they are (with a warning).

    Returns
    -------
    RateModel
    """
    _check_model(model, normalisation)
    model = model.copy()
    tied = [name for name in model.param_names if model.tied[name]]
    free = [name for name in model.param_names if name not in tied]
    parameters = FitParameters.from_dicts(
        {name: float(getattr(model, name).value) for name in free},
        {name: model.bounds[name] for name in free},
        [name for name in free if model.fixed[name]])
    normalisation = tuple(_usable_normalisation(model, normalisation, tied))
    if tied:
        return RateModel(model.n_inputs, _TiedEvaluation(model, free), parameters, None,
                         normalisation)
    return RateModel(model.n_inputs, model.evaluate, parameters, _analytic_jacobian(model),
                     normalisation)


def _check_model(model, normalisation):
    if not isinstance(model, Model):
        raise BaccmodTypeError(f"the model to fit must be an astropy model (e.g. "
                               f"Gaussian2D() or a CustomModels), not {type(model).__name__}.")
    if model.n_inputs not in (1, 2, 3) or model.n_outputs != 1:
        raise BaccmodValueError(
            f"{type(model).__name__} has {model.n_inputs} inputs and {model.n_outputs} "
            "outputs; a background model has one output and 1 (energy: a spectral fit per "
            "spatial bin), 2 (fov_lon, fov_lat: a spatial fit per energy bin) or 3 (energy, "
            "fov_lon, fov_lat: one global fit) inputs.")
    if any(getattr(model, name).unit is not None for name in model.param_names):
        raise BaccmodValueError(f"{type(model).__name__}: parameters with units are not "
                                "supported; give plain numbers (energy TeV, angles deg).")
    if isinstance(normalisation, str):
        raise BaccmodTypeError("the normalisation parameters (list_name_normalisation_"
                               "parameter) must be a list of parameter names, not the "
                               f"string {normalisation!r}.")
    unknown = [name for name in normalisation if name not in model.param_names]
    if unknown:
        raise BaccmodValueError(f"normalisation parameters {unknown} are not parameters of "
                                f"{type(model).__name__} {list(model.param_names)}.")


def _usable_normalisation(model, names, tied):
    for name in names:
        if name in tied or model.fixed[name]:
            log.warning("%s: the normalisation parameter %r is %s; its seed is not scaled to "
                        "the counts.", type(model).__name__, name,
                        "tied" if name in tied else "fixed")
        else:
            yield name


def _analytic_jacobian(model):
    """``model.fit_deriv`` as (n_par, *shape) derivatives, or None if the model has none."""
    if getattr(model, "fit_deriv", None) is None:
        return None
    n_par = len(model.param_names)

    def jacobian(*args):
        shape = np.shape(args[0])
        derivatives = model.fit_deriv(*args)
        if model.col_fit_deriv:  # one array (or scalar) per parameter
            return np.stack([np.broadcast_to(np.asarray(d, dtype=float), shape)
                             for d in derivatives])
        # e.g. polynomials: the parameters along the last axis
        return np.moveaxis(np.asarray(derivatives, dtype=float), -1, 0).reshape(
            (n_par,) + shape)
    return jacobian


class _TiedEvaluation:
    """The rate as a function of the free parameters, with the tied ones computed."""

    def __init__(self, model, free):
        self.model = model
        self.free_index = [model.param_names.index(name) for name in free]

    def __call__(self, *args):
        n_inputs = self.model.n_inputs
        values = np.array(self.model.parameters, dtype=float)
        values[self.free_index] = args[n_inputs:]
        self.model.parameters = values
        for name, rule in self.model.tied.items():
            if rule:
                setattr(self.model, name, rule(self.model))
        return self.model.evaluate(*args[:n_inputs], *self.model.parameters)
