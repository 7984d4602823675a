"""Poisson maximum-likelihood fits of background rate models to binned counts.

Definitions
-----------
- expected counts of a bin: ``mu = model(bin centre) x exposure``, where for a rate model
  (s-1 MeV-1 sr-1) the exposure is livetime x dE x dOmega x unexcluded fraction (s MeV sr);
  any other per-bin factor that turns the model's value into expected counts works the same;
- only bins in the fit ``mask`` (normally: exposure > 0) enter the likelihood;
- statistic: ``-ln L`` up to a constant, written as the Cash deviance over two,
  ``sum(mu - n + n ln(n / mu))``: it is >= 0, 0 for a model equal to the counts, and differs
  by one half from its minimum at the one-sigma bounds of a parameter (Minuit
  ``errordef = 0.5``);
- parameters: Minuit's migrad minimises, hesse gives the covariance; fixed parameters keep
  their seed and get zero (co)variance;
- per-bin model uncertainty: linear error propagation of the covariance through the model's
  Jacobian, ``sigma_rate^2 = J^T C J``.

A model is fitted on a cube of (energy, fov_lon, fov_lat) bins in one of three shapes chosen
by its number of inputs (:func:`fit_cube`): 1 = a spectral fit per spatial bin, 2 = a spatial
fit per energy bin, 3 = one global fit. All of them call :func:`fit_poisson`.

Units: energies in TeV, FoV coordinates in whatever unit the model's parameters use (deg for
the models of :mod:`baccmod.model`), rates in s-1 MeV-1 sr-1, exposure in s MeV sr.
"""
import logging
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

import numpy as np
from iminuit import Minuit

from ..errors import BaccmodValueError
from .rate import fill_unexposed

log = logging.getLogger(__name__)

#: Smallest expected count the likelihood takes a logarithm of. Below it (a model that
#: reaches zero or goes negative where events were seen) the statistic continues along its
#: tangent: finite, rising steeply as the expectation falls, and with a slope that still
#: points back to positive expectations; ``ln(0)`` would give inf and stop the minimiser.
#: A bin with counts where 1e-10 events are expected is already excluded beyond 6 sigma.
EXPECTED_FLOOR = 1e-10

#: Statistic returned while the model is not finite at a trial point, so that migrad's line
#: search steps back; larger than any attainable statistic, small enough for its arithmetic.
NON_FINITE_PENALTY = 1e100

ON_FAILURE = ("raise", "warn", "return")


def check_on_failure(on_failure):
    """Raise unless ``on_failure`` is one of 'raise', 'warn', 'return'."""
    if on_failure not in ON_FAILURE:
        raise BaccmodValueError(f"on_failure must be one of {ON_FAILURE}, not {on_failure!r}.")


@dataclass(frozen=True)
class FitParameters:
    """The parameters of a fit: names, seeds, bounds and which are fixed.

    Attributes
    ----------
    names : tuple of str, length n_par
    values : ndarray, shape (n_par,)
        Seeds (before a fit) or fitted values.
    lower, upper : ndarray, shape (n_par,)
        Bounds; -inf / +inf where there is none.
    fixed : ndarray of bool, shape (n_par,)
        True for parameters kept at their value.
    """
    names: tuple
    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    fixed: np.ndarray

    def __post_init__(self):
        n_par = len(self.names)
        object.__setattr__(self, "names", tuple(self.names))
        for name in ("values", "lower", "upper"):
            object.__setattr__(self, name, np.array(getattr(self, name), dtype=float))
        object.__setattr__(self, "fixed", np.array(self.fixed, dtype=bool))
        if any(getattr(self, a).shape != (n_par,) for a in ("values", "lower", "upper", "fixed")):
            raise BaccmodValueError(f"parameters {self.names}: give one seed, one lower and "
                                    "upper bound and one fixed flag per parameter.")
        for name, value, lo, hi in zip(self.names, self.values, self.lower, self.upper):
            if not np.isfinite(value):
                raise BaccmodValueError(f"parameter {name!r}: the seed {value} is not finite; "
                                        "give a finite seed.")
            if not lo <= value <= hi:
                raise BaccmodValueError(f"parameter {name!r}: the seed {value} is outside its "
                                        f"bounds ({lo}, {hi}); move the seed or the bounds.")

    @classmethod
    def from_dicts(cls, seeds, bounds=None, fixed=()):
        """Parameters from ``{name: seed}``, ``{name: (lower, upper)}`` (None: no bound) and
        the names of the fixed parameters; the order is that of ``seeds``."""
        bounds = bounds or {}
        unknown = (set(bounds) | set(fixed)) - set(seeds)
        if unknown:
            raise BaccmodValueError(f"bounds or fixed flags for unknown parameters "
                                    f"{sorted(unknown)}; the parameters are {list(seeds)}.")
        lower = [_bound(bounds.get(name, (None, None))[0], -np.inf) for name in seeds]
        upper = [_bound(bounds.get(name, (None, None))[1], np.inf) for name in seeds]
        return cls(tuple(seeds), list(seeds.values()), lower, upper,
                   [name in fixed for name in seeds])

    def with_values(self, values):
        """A copy with other values (the bounds and fixed flags kept)."""
        return replace(self, values=np.asarray(values, dtype=float))

    def index(self, name):
        return self.names.index(name)


def _bound(value, default):
    return default if value is None else float(value)


@dataclass(frozen=True)
class RateModel:
    """A background rate model on arrays, with what its fit needs.

    Attributes
    ----------
    n_inputs : int
        1 (energy), 2 (fov_lon, fov_lat) or 3 (energy, fov_lon, fov_lat).
    function : callable
        ``function(*coords, *values) -> rate``: coords are ``n_inputs`` arrays of one shape
        (energy in TeV, FoV coordinates in the unit of the model's parameters), values the
        parameters in the order of ``parameters.names``; returns the rate at those points.
    parameters : FitParameters
        Names, seeds, bounds and fixed flags.
    jacobian : callable, optional
        ``jacobian(*coords, *values) -> ndarray, shape (n_par, *coords shape)``: the
        derivatives of the rate. Without it the minimiser differentiates numerically.
    normalisation : tuple of str
        Parameters whose seeds are scaled together, before each fit, so that the model
        predicts the observed counts (the model must be proportional to them jointly).
    normalisation_bounds : tuple of float, optional
        If given, (low, high) factors: a normalisation parameter is bounded to
        [low x seed, high x seed] around its count-scaled seed.
    """
    n_inputs: int
    function: Callable
    parameters: FitParameters
    jacobian: Optional[Callable] = None
    normalisation: tuple = ()
    normalisation_bounds: Optional[tuple] = None

    def __post_init__(self):
        if self.n_inputs not in (1, 2, 3):
            raise BaccmodValueError(
                f"a background model takes 1 (energy), 2 (fov_lon, fov_lat) or 3 (energy, "
                f"fov_lon, fov_lat) inputs, not {self.n_inputs}; give a model with one of these.")
        unknown = set(self.normalisation) - set(self.parameters.names)
        if unknown:
            raise BaccmodValueError(f"normalisation parameters {sorted(unknown)} are not "
                                    f"parameters of the model {self.parameters.names}.")

    def at(self, *coords):
        """The rate and Jacobian (or None) as functions of the parameter values only."""
        def rate(values):
            return self.function(*coords, *values)
        if self.jacobian is None:
            return rate, None

        def jacobian(values):
            return np.asarray(self.jacobian(*coords, *values), dtype=float)
        return rate, jacobian


@dataclass(frozen=True)
class FitResult:
    """Outcome of one fit.

    Attributes
    ----------
    parameters : FitParameters
        The fitted values (bounds and fixed flags as given).
    covariance : ndarray, shape (n_par, n_par)
        Covariance of the values; zero rows and columns for fixed parameters.
    success : bool
        migrad converged (valid minimum) and the result is finite.
    message : str
        Names the fitted bin, then what went wrong or ``'converged'``.
    covariance_accurate : bool
        hesse found an accurate, positive-definite covariance.
    statistic : float
        ``sum(mu - n + n ln(n / mu))`` at the fitted values.
    n_calls : int
        Evaluations of the statistic.
    """
    parameters: FitParameters
    covariance: np.ndarray
    success: bool
    message: str
    covariance_accurate: bool
    statistic: float
    n_calls: int

    @property
    def values(self):
        return self.parameters.values

    @property
    def errors(self):
        """One-sigma errors of the values, shape (n_par,)."""
        return np.sqrt(np.clip(np.diag(self.covariance), 0, None))


@dataclass
class CubeFit:
    """A model fitted on an (energy, fov_lon, fov_lat) cube.

    Attributes
    ----------
    rate, rate_error : ndarray, shape (n_energy, n_lon, n_lat)
        Fitted rate and its one-sigma statistical uncertainty, in the model's unit.
    results : dict
        FitResult per fitted piece: key ``()`` for a global fit, ``(energy index,)`` for
        per-energy fits, ``(lon index, lat index)`` for per-spatial-bin fits.
    empty : list of str
        Pieces without counts in their fitted bins: their rate and error are 0.
    filled : int
        Spatial bins without exposure (per-spatial-bin fits only) that took the rate of their
        nearest fitted bins.
    """
    rate: np.ndarray
    rate_error: np.ndarray
    results: dict = field(default_factory=dict)
    empty: list = field(default_factory=list)
    filled: int = 0


def neg_log_likelihood(counts, expected, mask=None):
    """Poisson ``-ln L`` of counts given expected counts, up to a constant (module docstring).

    Parameters
    ----------
    counts, expected : ndarray, same shape
        Observed and expected counts per bin.
    mask : ndarray of bool, optional
        Bins to use (all if None).

    Returns
    -------
    float
        ``sum(mu - n + n ln(n / mu))``, with mu below :data:`EXPECTED_FLOOR` continued along
        the tangent at the floor.
    """
    counts, expected = _masked(counts, mask).ravel(), _masked(expected, mask).ravel()
    return _statistic(counts, expected, _saturated_constant(counts))


def _saturated_constant(counts):
    """sum(n ln n - n) (0 ln 0 = 0): the part of the statistic that does not depend on the
    model."""
    positive = counts[counts > 0]
    return float(np.sum(positive * np.log(positive)) - np.sum(counts))


def _statistic(counts, expected, constant):
    """:func:`neg_log_likelihood` on flat arrays with its constant computed once."""
    floored = np.maximum(expected, EXPECTED_FLOOR)
    value = floored.sum() - counts @ np.log(floored) + constant
    below = expected < EXPECTED_FLOOR
    if below.any():  # continue along the tangent at the floor
        value += np.sum((1 - counts[below] / EXPECTED_FLOOR)
                        * (expected[below] - EXPECTED_FLOOR))
    return float(value)


def neg_log_likelihood_gradient(counts, expected, expected_jacobian, mask=None):
    """Gradient of :func:`neg_log_likelihood` with respect to the parameters.

    Parameters
    ----------
    counts, expected : ndarray, shape S
        Observed and expected counts per bin.
    expected_jacobian : ndarray, shape (n_par, *S)
        Derivatives of the expected counts with respect to each parameter.
    mask : ndarray of bool, shape S, optional
        Bins to use.

    Returns
    -------
    ndarray, shape (n_par,)
    """
    counts, expected = _masked(counts, mask), _masked(expected, mask)
    expected_jacobian = np.asarray(expected_jacobian, dtype=float)
    if mask is not None:
        expected_jacobian = expected_jacobian[:, np.asarray(mask, dtype=bool)]
    weight = 1 - counts / np.maximum(expected, EXPECTED_FLOOR)
    return expected_jacobian.reshape(expected_jacobian.shape[0], -1) @ weight.ravel()


def _masked(array, mask):
    array = np.asarray(array, dtype=float)
    return array if mask is None else array[np.asarray(mask, dtype=bool)]


def scale_normalisation(model_function, parameters, names, counts, exposure, mask,
                        relative_bounds=None, label="the fit"):
    """Seeds whose normalisation parameters make the model predict the observed counts.

    The parameters ``names`` are multiplied by one factor, ``sum(counts) / sum(mu)`` over the
    masked bins, which is exact when the model is proportional to them jointly. A scaled
    value outside its bounds raises :class:`~baccmod.errors.BaccmodValueError`.

    Parameters
    ----------
    model_function : callable
        ``model_function(values) -> rate``, shape of ``counts``.
    parameters : FitParameters
    names : sequence of str
        The normalisation parameters (fixed ones are left as they are).
    counts, exposure : ndarray, same shape
    mask : ndarray of bool
        Bins of the fit.
    relative_bounds : (float, float), optional
        If given, each scaled parameter is bounded to these factors times its scaled seed.
    label : str
        Names the fit in error messages.

    Returns
    -------
    FitParameters
    """
    scaled = [parameters.index(n) for n in names if not parameters.fixed[parameters.index(n)]]
    if not scaled:
        return parameters
    predicted = np.sum(np.asarray(model_function(parameters.values))[mask] * exposure[mask])
    if not (np.isfinite(predicted) and predicted > 0):
        raise BaccmodValueError(
            f"{label}: the model at its seeds predicts {predicted} events in the fitted bins; "
            "the normalisation cannot be scaled to the counts. Give seeds at which the model "
            "is positive.")
    factor = np.sum(counts[mask]) / predicted
    values, lower, upper = (parameters.values.copy(), parameters.lower.copy(),
                            parameters.upper.copy())
    values[scaled] *= factor
    if relative_bounds is not None:
        bounds = np.outer(values[scaled], relative_bounds)
        lower[scaled], upper[scaled] = bounds.min(axis=1), bounds.max(axis=1)
    _check_scaled_within_bounds(parameters.names, scaled, values, lower, upper, label)
    return replace(parameters, values=values, lower=lower, upper=upper)


def _check_scaled_within_bounds(names, scaled, values, lower, upper, label):
    """Refuse a normalisation whose count-scaled seed is outside its bounds: the fit would
    stop on the bound far from the data (e.g. bounds meant for another unit)."""
    for i in scaled:
        if not lower[i] <= values[i] <= upper[i]:
            raise BaccmodValueError(
                f"{label}: the normalisation parameter {names[i]!r} that makes the model "
                f"predict the observed counts is {values[i]:.4g}, outside its bounds "
                f"({lower[i]:.4g}, {upper[i]:.4g}). The model's value is what multiplies the "
                "exposure into expected counts (a rate in s-1 MeV-1 sr-1 for a background "
                "model); give bounds on that scale, or only a sign, e.g. (0, None).")


def fit_poisson(model_function, parameters, counts, exposure, mask=None, maxiter=1000,
                jacobian=None, label="the fit", on_failure="warn"):
    """Fit a model to counts by Poisson maximum likelihood (iminuit migrad + hesse).

    Parameters
    ----------
    model_function : callable
        ``model_function(values) -> ndarray`` of the shape of ``counts``: the rate at the bin
        centres for parameter values (shape (n_par,), order of ``parameters.names``).
    parameters : FitParameters
        Seeds, bounds, fixed flags.
    counts : ndarray
        Observed counts per bin.
    exposure : ndarray, shape of counts
        Factor turning the rate of a bin into expected counts (s MeV sr for a rate model).
    mask : ndarray of bool, optional
        Bins to fit; default ``exposure > 0``. Other bins are left out of the likelihood.
    maxiter : int
        Most evaluations per migrad call; migrad is called a second time if the first does
        not converge.
    jacobian : callable, optional
        ``jacobian(values) -> ndarray, shape (n_par, *counts.shape)``: derivatives of the
        rate, for an analytic gradient. Without it Minuit differentiates numerically.
    label : str
        Names the fitted bin(s) in messages, e.g. ``'energy bin 3 (1-1.5 TeV)'``.
    on_failure : {'warn', 'raise', 'return'}
        What a fit that does not converge does: log a warning, raise
        :class:`~baccmod.errors.BaccmodValueError`, or only return ``success=False``.

    Returns
    -------
    FitResult
    """
    check_on_failure(on_failure)
    counts = np.asarray(counts, dtype=float)
    exposure = np.asarray(exposure, dtype=float)
    mask = exposure > 0 if mask is None else np.asarray(mask, dtype=bool) & (exposure > 0)
    _check_fit_input(counts, exposure, mask, label)
    objective = _Objective(model_function, jacobian, counts, exposure, mask, label)
    minuit = Minuit(objective, parameters.values, name=parameters.names,
                    grad=objective.gradient if jacobian is not None else None)
    minuit.errordef = Minuit.LIKELIHOOD
    minuit.limits = list(zip(parameters.lower, parameters.upper))
    minuit.fixed = list(parameters.fixed)
    minuit.errors = _initial_steps(parameters)
    with np.errstate(all="ignore"):  # trial points where the model overflows are penalised
        minuit.migrad(ncall=maxiter)
        if not minuit.valid:
            minuit.migrad(ncall=maxiter)
        migrad_minimum = minuit.fmin
        minuit.hesse()
    result = _result(minuit, migrad_minimum, parameters, maxiter, label)
    _report(result, on_failure)
    return result


def _check_fit_input(counts, exposure, mask, label):
    if counts.shape != exposure.shape or mask.shape != counts.shape:
        raise BaccmodValueError(f"{label}: counts {counts.shape}, exposure {exposure.shape} "
                                f"and mask {mask.shape} must have one shape.")
    if not (np.all(np.isfinite(counts)) and np.all(counts >= 0)):
        raise BaccmodValueError(f"{label}: counts must be finite and >= 0.")
    if not np.all(np.isfinite(exposure)):
        raise BaccmodValueError(f"{label}: the exposure has non-finite values.")
    if not mask.any():
        raise BaccmodValueError(f"{label}: no bin has exposure to fit; this part of the "
                                "model cannot be estimated (use smaller exclusion regions).")
    if not counts[mask].sum() > 0:
        raise BaccmodValueError(f"{label}: no counts in the fitted bins; a model fitted to "
                                "no events is zero. Use wider or fewer bins here.")


class _Objective:
    """The statistic (and its gradient) of a fit as a function of the parameter values."""

    def __init__(self, model_function, jacobian, counts, exposure, mask, label):
        self.model_function, self.jacobian = model_function, jacobian
        self.mask, self.label = mask, label
        self.counts, self.exposure = counts[mask], exposure[mask]
        self.constant = _saturated_constant(self.counts)

    def expected(self, values):
        return np.asarray(self.model_function(values), dtype=float)[self.mask] * self.exposure

    def __call__(self, values):
        value = _statistic(self.counts, self.expected(values), self.constant)
        # an inf or nan expectation anywhere makes the statistic inf or nan
        return value if np.isfinite(value) else NON_FINITE_PENALTY

    def gradient(self, values):
        expected = self.expected(values)
        jacobian = self.jacobian(values)[:, self.mask] * self.exposure
        grad = neg_log_likelihood_gradient(self.counts, expected, jacobian)
        if not np.all(np.isfinite(grad)):
            raise BaccmodValueError(
                f"{self.label}: the model's derivatives are not finite at "
                f"{np.array2string(np.asarray(values), precision=4)}; bound the parameters to "
                "where the model is finite.")
        return grad


def _initial_steps(parameters):
    """Minuit's first step per parameter: 10 % of the seed (0.1 for a zero seed), within
    a tenth of a finite range."""
    steps = np.where(parameters.values != 0, 0.1 * np.abs(parameters.values), 0.1)
    span = parameters.upper - parameters.lower
    return np.where(np.isfinite(span) & (span > 0), np.minimum(steps, 0.1 * span), steps)


def _result(minuit, migrad_minimum, parameters, maxiter, label):
    values = np.asarray(minuit.values, dtype=float)
    covariance = (np.zeros((values.size, values.size)) if minuit.covariance is None
                  else np.asarray(minuit.covariance, dtype=float))
    problems = _problems(minuit, migrad_minimum, maxiter, values, covariance)
    accurate = minuit.covariance is not None and minuit.accurate
    message = f"{label}: " + ("; ".join(problems) if problems else "converged")
    if not np.all(np.isfinite(covariance)):
        covariance = np.zeros_like(covariance)
    return FitResult(parameters.with_values(values), covariance, not problems, message,
                     accurate, float(minuit.fval), minuit.nfcn)


def _problems(minuit, migrad_minimum, maxiter, values, covariance):
    """What is wrong with a fit, from migrad's minimum (hesse replaces ``minuit.fmin``)."""
    problems = [] if migrad_minimum.is_valid else [
        _why_not_converged(migrad_minimum, minuit.nfcn, maxiter)]
    if not (np.all(np.isfinite(values)) and minuit.fval < NON_FINITE_PENALTY):
        problems.append("the model is not finite at the fitted values")
    if minuit.covariance is None or not np.all(np.isfinite(covariance)):
        problems.append("no covariance could be computed")
    return problems


def _why_not_converged(migrad_minimum, n_calls, maxiter):
    # migrad checks its call limit once per iteration: its flag can miss the limit
    if migrad_minimum.has_reached_call_limit or n_calls >= maxiter:
        return (f"the fit did not converge within {n_calls} evaluations; raise maxiter or "
                "give seeds closer to the data")
    if migrad_minimum.is_above_max_edm:
        return (f"the fit stopped before the minimum (estimated distance "
                f"{migrad_minimum.edm:.3g}); try other seeds or bounds")
    return ("the fit found no valid minimum (the likelihood is not curved in every "
            "parameter: the data do not constrain some of them here); fix or bound them, "
            "or use a simpler model")


def _report(result, on_failure):
    if not result.success:
        if on_failure == "raise":
            raise BaccmodValueError(result.message)
        if on_failure == "warn":
            log.warning("%s", result.message)
    elif not result.covariance_accurate:
        log.info("%s, but its covariance is approximate (a parameter at a bound or "
                 "degenerate parameters): its uncertainties are rough.", result.message)


def numeric_jacobian(model_function, values, steps):
    """Central-difference derivatives of a model with respect to its parameters.

    Parameters
    ----------
    model_function : callable
        ``model_function(values) -> ndarray`` of shape S.
    values : ndarray, shape (n_par,)
    steps : ndarray, shape (n_par,)
        Step per parameter; parameters with step 0 get zero derivatives.

    Returns
    -------
    ndarray, shape (n_par, *S)
    """
    values = np.asarray(values, dtype=float)
    centre = np.asarray(model_function(values), dtype=float)
    jacobian = np.zeros((values.size,) + centre.shape)
    for i in np.flatnonzero(steps):
        shift = np.zeros_like(values)
        shift[i] = steps[i]
        jacobian[i] = (np.asarray(model_function(values + shift))
                       - np.asarray(model_function(values - shift))) / (2 * steps[i])
    return jacobian


def rate_uncertainty(jacobian, covariance):
    """One-sigma uncertainty of a model per bin by linear error propagation.

    Parameters
    ----------
    jacobian : ndarray, shape (n_par, *S)
        Derivatives of the model with respect to the parameters.
    covariance : ndarray, shape (n_par, n_par)

    Returns
    -------
    ndarray, shape S
        ``sqrt(J^T C J)`` per bin.
    """
    jacobian = np.asarray(jacobian, dtype=float)
    flat = jacobian.reshape(jacobian.shape[0], -1)
    variance = np.einsum("ib,ij,jb->b", flat, covariance, flat)
    return np.sqrt(np.clip(variance, 0, None)).reshape(jacobian.shape[1:])


def fitted_rate(model_function, result, jacobian=None):
    """Rate at the fitted values and its per-bin uncertainty.

    Parameters
    ----------
    model_function, jacobian : callable
        As for :func:`fit_poisson`; without ``jacobian`` the derivatives are taken
        numerically with steps of a thousandth of each parameter's error.
    result : FitResult

    Returns
    -------
    rate, rate_error : ndarray
    """
    rate = np.asarray(model_function(result.values), dtype=float)
    if jacobian is not None:
        derivatives = jacobian(result.values)
    else:
        derivatives = numeric_jacobian(model_function, result.values, 1e-3 * result.errors)
    return rate, rate_uncertainty(derivatives, result.covariance)


def fit_cube(model, counts, exposure, energy_edges, lon_centres, lat_centres, maxiter=1000,
             on_failure="warn", context="", fill_geometry=None):
    """Fit a rate model to an (energy, fov_lon, fov_lat) cube in the shape its inputs choose.

    1 input: one spectral fit per spatial bin; 2 inputs: one spatial fit per energy bin;
    3 inputs: one fit over the whole cube. Before each fit the model's normalisation is
    scaled to the counts of the fitted bins (:func:`scale_normalisation`).

    Parameters
    ----------
    model : RateModel
    counts : ndarray, shape (n_energy, n_lon, n_lat)
    exposure : ndarray, shape (n_energy, n_lon, n_lat)
        Factor turning the model's value into expected counts (s MeV sr for a rate:
        livetime x dE x dOmega x unexcluded fraction). Bins with exposure 0 are left out.
    energy_edges : ndarray, shape (n_energy + 1,)
        TeV; the model is evaluated at the log centres.
    lon_centres, lat_centres : ndarray, shapes (n_lon,), (n_lat,)
        Bin centres in the unit of the model's spatial parameters (deg for baccmod.model).
    maxiter, on_failure
        As for :func:`fit_poisson` (``on_failure`` applies to each piece).
    context : str
        Prefix naming the model in messages (e.g. the zenith bin).
    fill_geometry : (ndarray, ndarray), optional
        ``(bin_groups, bin_positions)`` of the spatial bins as for
        :func:`baccmod.core.rate.fill_unexposed`; needed by per-spatial-bin fits when a
        spatial bin has no exposure, which then takes the rate of its nearest fitted bins.

    Returns
    -------
    CubeFit
    """
    check_on_failure(on_failure)
    counts = np.asarray(counts, dtype=float)
    exposure = np.asarray(exposure, dtype=float)
    energy_edges = np.asarray(energy_edges, dtype=float)
    centres = np.sqrt(energy_edges[1:] * energy_edges[:-1])
    lon_centres, lat_centres = np.asarray(lon_centres, float), np.asarray(lat_centres, float)
    if counts.shape != (centres.size, lon_centres.size, lat_centres.size) \
            or exposure.shape != counts.shape:
        raise BaccmodValueError(
            f"{context}counts {counts.shape} and exposure {exposure.shape} must have the shape "
            f"(n_energy, n_lon, n_lat) = {(centres.size, lon_centres.size, lat_centres.size)}.")
    cube = CubeFit(np.zeros(counts.shape), np.zeros(counts.shape))
    for key, index, coords, label in _pieces(model.n_inputs, centres, energy_edges,
                                             lon_centres, lat_centres, context):
        _fit_piece(model, cube, key, index, coords, counts[index], exposure[index], maxiter,
                   on_failure, label)
    if model.n_inputs == 1:
        _fill_unfitted_spatial_bins(cube, exposure, fill_geometry, context)
    if cube.empty:
        log.warning("%s%d fitted pieces have no counts and are set to 0: %s", context,
                    len(cube.empty), "; ".join(cube.empty))
    return cube


def _pieces(n_inputs, centres, energy_edges, lon_centres, lat_centres, context):
    """(result key, cube index, model coordinates, label) of each fit of a cube."""
    if n_inputs == 3:
        yield (), np.s_[...], np.meshgrid(centres, lon_centres, lat_centres,
                                          indexing="ij"), f"{context}global fit"
    elif n_inputs == 2:
        coords = np.meshgrid(lon_centres, lat_centres, indexing="ij")
        for e in range(centres.size):
            yield (e,), np.s_[e], coords, (f"{context}energy bin {e} ({energy_edges[e]:.3g}-"
                                           f"{energy_edges[e + 1]:.3g} TeV)")
    else:
        for i, lon in enumerate(lon_centres):
            for j, lat in enumerate(lat_centres):
                yield (i, j), np.s_[:, i, j], (centres,), (
                    f"{context}spatial bin ({i}, {j}) at fov_lon {lon:.3g}, fov_lat {lat:.3g}")


def _fit_piece(model, cube, key, index, coords, counts, exposure, maxiter, on_failure, label):
    """Fit one piece of the cube from the model's seeds, into ``cube``."""
    mask = exposure > 0
    if not mask.any():
        return  # only possible per spatial bin: filled afterwards
    if counts[mask].sum() == 0:
        cube.empty.append(label)
        return
    rate_function, jacobian = model.at(*coords)
    parameters = scale_normalisation(rate_function, model.parameters, model.normalisation,
                                     counts, exposure, mask, model.normalisation_bounds, label)
    result = fit_poisson(rate_function, parameters, counts, exposure, mask, maxiter, jacobian,
                         label, on_failure)
    cube.results[key] = result
    cube.rate[index], cube.rate_error[index] = _checked_rate(
        *fitted_rate(rate_function, result, jacobian), label)


def _checked_rate(rate, rate_error, label):
    """The fitted rate and error; raises if not finite, sets negative rates to 0 with a
    warning (a model may go negative outside the fitted bins, e.g. with steep gradients)."""
    if not (np.all(np.isfinite(rate)) and np.all(np.isfinite(rate_error))):
        raise BaccmodValueError(
            f"{label}: the fitted model or its uncertainty is not finite in "
            f"{np.count_nonzero(~(np.isfinite(rate) & np.isfinite(rate_error)))} bins; bound "
            "its parameters to where it is finite or use another model.")
    negative = rate < 0
    if negative.any():
        log.warning("%s: the fitted model is negative in %d bins (down to %.3g); they are set "
                    "to 0.", label, np.count_nonzero(negative), rate.min())
        rate = np.where(negative, 0.0, rate)
    return rate, rate_error


def _fill_unfitted_spatial_bins(cube, exposure, fill_geometry, context):
    exposed = np.any(exposure > 0, axis=0)
    if exposed.all():
        return
    if fill_geometry is None:
        raise BaccmodValueError(
            f"{context}{np.count_nonzero(~exposed)} spatial bins have no exposure, so no "
            "spectrum can be fitted there; pass fill_geometry to fill them from their "
            "neighbours.")
    cube.rate, cube.filled = fill_unexposed(cube.rate, exposed, *fill_geometry)
    cube.rate_error, _ = fill_unexposed(cube.rate_error, exposed, *fill_geometry)
    log.warning("%s%d spatial bins have no unexcluded exposure; they take the fitted rate of "
                "their nearest exposed bins.", context, cube.filled)

