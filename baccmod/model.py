"""Background models as astropy models, and their translation for baccmod's fits.

- :class:`CustomModels` turns a Python function into an astropy ``FittableModel``: the
  arguments without defaults are its inputs, those with defaults its parameters.
- Ready models for IACT backgrounds (rates in s-1 TeV-1 sr-1, energy in TeV, fov_lon and
  fov_lat in deg) with BAccMod's names, parameters and defaults, built on the functions of
  :mod:`baccmod.core.fit_models` with analytic derivatives: :class:`PowerLaw2CutOffsEnergy`
  (also named :class:`PowerLawCutOffsEnergy`; 1 input), :class:`Gaussian2DLinearGradientsSpatial`
  (2), :class:`PowerLawEnergyxGaussian2DSpatial` (3), :class:`PLCutOffsEnergyxGaussGradSpatial`
  (3), and their functions (:func:`powerlaw_inv_super_exp_cutoff_exp_cutoff`,
  :func:`bilinear_gradient`, :func:`gaussian2d_bilinear_gradient`,
  :func:`powerlawenergy_gaussian2dspatial`, :func:`plcutoffsenergy_gaussgradspatial`). Unlike
  BAccMod's, the ready models fix their reference energy (``eref``, ``x_0``: degenerate with
  ``amplitude``) and bound widths and cut-offs to positive values (``fixed``/``bounds`` undo it).
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

__all__ = ["CustomModels", "powerlaw_inv_super_exp_cutoff_exp_cutoff", "bilinear_gradient",
           "gaussian2d_bilinear_gradient", "powerlawenergy_gaussian2dspatial",
           "plcutoffsenergy_gaussgradspatial", "PowerLaw2CutOffsEnergy", "PowerLawCutOffsEnergy",
           "Gaussian2DLinearGradientsSpatial", "PowerLawEnergyxGaussian2DSpatial",
           "PLCutOffsEnergyxGaussGradSpatial", "rate_model"]


class CustomModels(FittableModel):
    """An astropy ``FittableModel`` made from a Python function.

    ``CustomModels(fnc, **parameter_values)`` returns a model instance;
    ``CustomModels.model_class(fnc)`` the model class (for a named, reusable model). As in
    BAccMod, a subclass may also name its function in its constructor::

        class MyModel(CustomModels):
            def __init__(self):
                super().__init__(fnc=my_function)

    Parameters
    ----------
    fnc : callable
        ``fnc(input_1, ..., parameter_1=default_1, ...)``: 1 to 3 inputs without defaults
        (ordered (energy), (fov_lon, fov_lat) or (energy, fov_lon, fov_lat)), then at least one
        parameter with a numeric default. Vectorised over the inputs.
    *parameter_values, **kwargs
        Initial parameter values other than the defaults, and astropy's model options
        (``bounds``, ``fixed``, ``tied``, ``name``...).

    Raises
    ------
    astropy.modeling.ModelDefinitionError
        If ``fnc`` cannot define such a model.
    """

    def __new__(cls, *args, **kwargs):
        if getattr(cls, "_from_function", False):
            return super().__new__(cls)
        fnc = kwargs.pop("fnc", args[0] if args else None)
        if fnc is None:
            if cls is not CustomModels:  # a subclass naming its function in __init__
                return super().__new__(cls)
            raise ModelDefinitionError("CustomModels needs the function to turn into a model: "
                                       "CustomModels(fnc).")
        model = cls.model_class(fnc)(*args[1:] if args else (), **kwargs)
        model._initialised = True
        return model

    def __init__(self, fnc, *parameter_values, **kwargs):
        if self.__dict__.pop("_initialised", False):
            return
        # a subclass's __init__ naming its function: become that function's model
        self.__class__ = type(self).model_class(fnc, name=type(self).__name__)
        self.__init__(*parameter_values, **kwargs)

    def evaluate(self, *args, **kwargs):
        """The function's value (defined by the classes made from a function)."""
        raise NotImplementedError("CustomModels evaluates nothing itself: make the model with "
                                  "CustomModels(fnc) or a subclass naming fnc.")

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
                   "__init__": _init_function_model, "evaluate": vars(base)["evaluate"],
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


def _init_function_model(self, *parameter_values, **kwargs):
    """``__init__`` of the classes of :meth:`CustomModels.model_class`."""
    if self.__dict__.pop("_initialised", False):  # made by CustomModels(fnc, ...)
        return
    super(CustomModels, self).__init__(*parameter_values, **kwargs)
    self.inputs = self._input_names


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


# --- Ready model functions: BAccMod's names, parameters, order and defaults ------------------
# Each calls the core function of :mod:`baccmod.core.fit_models` with its parameters in the
# core's order; the analytic derivatives are the core's with their rows put back in this order.

def powerlaw_inv_super_exp_cutoff_exp_cutoff(e, amplitude=1.0, index=2.0, eref=1.0, b=2,
                                             ecl=0.1, ech=100.0):
    """Power law with a low-energy super-exponential and a high-energy exponential cut-off:
    ``amplitude (e / eref)^-index exp(-(ecl / e)^b) exp(-e / ech)``.

    Parameters
    ----------
    e : ndarray
        Energy, TeV.
    amplitude : float
        Rate at ``eref`` without the cut-offs, s-1 TeV-1 sr-1.
    index : float
        Spectral index.
    eref : float
        Reference energy, TeV (degenerate with ``amplitude``).
    b : float
        Sharpness of the low-energy cut-off.
    ecl, ech : float
        Low- and high-energy cut-off energies, TeV.
    """
    return fit_models.powerlaw_cutoffs(e, amplitude, index, eref, ecl, b, ech)


def bilinear_gradient(x, y, x_gradient=0, y_gradient=0):
    """Linear gradients along two coordinates: ``(1 + x x_gradient) (1 + y y_gradient)``.

    Parameters
    ----------
    x, y : ndarray
        fov_lon and fov_lat, deg.
    x_gradient, y_gradient : float
        Relative change per deg of x / y, deg-1.
    """
    return fit_models.linear_gradients(x, y, x_gradient, y_gradient)


def gaussian2d_bilinear_gradient(x, y, amplitude=1.0, x_mean=0.0, y_mean=0.0, x_stddev=1.0,
                                 y_stddev=1.0, theta=0.0, x_gradient=0, y_gradient=0):
    """Rotated 2D Gaussian (astropy's ``Gaussian2D``) times :func:`bilinear_gradient`: the
    parameters of :func:`baccmod.core.fit_models.gaussian2d_gradients`, with x = fov_lon and
    y = fov_lat (deg) and ``amplitude`` the Gaussian's peak rate in s-1 TeV-1 sr-1."""
    return fit_models.gaussian2d_gradients(x, y, amplitude, x_mean, y_mean, x_stddev,
                                           y_stddev, theta, x_gradient, y_gradient)


def powerlawenergy_gaussian2dspatial(e, x, y, amplitude=1.0, x_0=1, alpha=2.0, x_mean=0.0,
                                     y_mean=0.0, x_stddev=1.0, y_stddev=1.0, theta=0.0):
    """Power law in energy times a rotated 2D Gaussian (peak 1) in space:
    ``amplitude (e / x_0)^-alpha G(x, y)``.

    ``amplitude`` is the rate at ``x_0`` (TeV, degenerate with ``amplitude``) at the
    Gaussian's peak, s-1 TeV-1 sr-1; ``alpha`` the spectral index; the other parameters as
    for :func:`gaussian2d_bilinear_gradient`.
    """
    return fit_models.powerlaw_gaussian2d(e, x, y, amplitude, alpha, x_0, x_mean, y_mean,
                                          x_stddev, y_stddev, theta)


def plcutoffsenergy_gaussgradspatial(e, x, y, amplitude=1.0, index=2.0, eref=1.0, b=2,
                                     ecl=0.1, ech=100.0, x_mean=0.0, y_mean=0.0, x_stddev=1.0,
                                     y_stddev=1.0, theta=0.0, x_gradient=0, y_gradient=0):
    """:func:`powerlaw_inv_super_exp_cutoff_exp_cutoff` times
    :func:`gaussian2d_bilinear_gradient` with one ``amplitude``: the rate (s-1 TeV-1 sr-1) at
    ``eref`` at the Gaussian's peak without the cut-offs and gradients."""
    return fit_models.powerlaw_cutoffs_gaussian2d_gradients(
        e, x, y, amplitude, index, eref, ecl, b, ech, x_mean, y_mean, x_stddev, y_stddev,
        theta, x_gradient, y_gradient)


def _reordered_jacobian(core_jacobian, n_inputs, core_order):
    """``core_jacobian`` called with BAccMod's parameter order; ``core_order[i]`` is the
    position, in BAccMod's order, of the core's i-th parameter."""
    rows = np.argsort(core_order)

    def jacobian(*args):
        parameters = args[n_inputs:]
        return core_jacobian(*args[:n_inputs], *(parameters[i] for i in core_order))[rows]
    return jacobian


_SPECTRAL_ORDER = [0, 1, 2, 4, 3, 5]  # the core has ecl (low_cutoff) before b

#: Default bounds of the ready models: positive widths and cut-offs, a sharpness that keeps
#: the low cut-off smooth. Reference energies are fixed: they are degenerate with
#: ``amplitude`` (BAccMod leaves them free).
_READY_BOUNDS = {"x_stddev": (1e-3, None), "y_stddev": (1e-3, None), "ecl": (1e-6, None),
                 "b": (0.1, 20.0), "ech": (1e-6, None)}
_READY_FIXED = ("eref", "x_0")


def _ready_model(name, function, jacobian):
    names = list(inspect.signature(function).parameters)
    return CustomModels.model_class(
        function, jacobian, name, function.__doc__,
        bounds={k: v for k, v in _READY_BOUNDS.items() if k in names},
        fixed=[k for k in _READY_FIXED if k in names])


PowerLaw2CutOffsEnergy = _ready_model(
    "PowerLaw2CutOffsEnergy", powerlaw_inv_super_exp_cutoff_exp_cutoff,
    _reordered_jacobian(fit_models.powerlaw_cutoffs_jacobian, 1, _SPECTRAL_ORDER))
#: BAccMod's ``__all__`` spells it so (its module defines only ``PowerLaw2CutOffsEnergy``).
PowerLawCutOffsEnergy = PowerLaw2CutOffsEnergy
Gaussian2DLinearGradientsSpatial = _ready_model(
    "Gaussian2DLinearGradientsSpatial", gaussian2d_bilinear_gradient,
    fit_models.gaussian2d_gradients_jacobian)
PowerLawEnergyxGaussian2DSpatial = _ready_model(
    "PowerLawEnergyxGaussian2DSpatial", powerlawenergy_gaussian2dspatial,
    _reordered_jacobian(fit_models.powerlaw_gaussian2d_jacobian, 3, [0, 2, 1, 3, 4, 5, 6, 7]))
PLCutOffsEnergyxGaussGradSpatial = _ready_model(
    "PLCutOffsEnergyxGaussGradSpatial", plcutoffsenergy_gaussgradspatial,
    _reordered_jacobian(fit_models.powerlaw_cutoffs_gaussian2d_gradients_jacobian, 3,
                        _SPECTRAL_ORDER + list(range(6, 13))))


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
