"""Fitted background rates: the ``fit`` step of a :class:`~baccmod.build.ModelSpec`.

:func:`baccmod.estimate.estimate_rate` calls ``fit(cube, geometry, context)`` on a stacked
cube (the whole model, or one zenith bin) on the energy axis the model is computed on (the
dynamic one when it applies) and gets ``(rate, rate_error, CubeFit)``; the rate is then
interpolated onto the model's energy axis as a counted rate is. Two fits are made here:

- :class:`ModelFit` (``FitAcceptanceMapCreator``): an astropy model whose value at a bin
  centre is the rate in s-1 TeV-1 sr-1 (BAccMod's scale, so its seeds and bounds carry over;
  inputs energy in TeV at the bin's log centre, fov_lon and fov_lat in deg): expected counts
  = model x exposure (livetime x dE x dOmega x unexcluded fraction, s TeV sr); the model's
  data are then converted to s-1 MeV-1 sr-1. Its number of inputs chooses the fit: 1 = a
  spectral fit per spatial bin, 2 = a spatial fit per energy bin, 3 = one global fit
  (:func:`baccmod.core.fit.fit_cube`).
- :class:`LegacyFit` (``Grid3DAcceptanceMapCreator(method="fit")``, BAccMod 0.4.1): a 2D
  function giving counts per FoV bin, fitted per energy bin with the unexcluded fraction as
  exposure (:func:`baccmod.core.fit_models.fit_legacy_cube`).

Bins without exposure are left out of the fits; a fit that does not converge is reported by
a warning naming its zenith bin and energy or spatial bin, and its rate stays finite.

Also BAccMod's ``baccmod.fitting`` helpers: :func:`poisson_fitter`, :func:`log_factorial`,
:func:`log_poisson`.
"""
import logging

import numpy as np
from astropy import units as u

from .core.fit import fit_cube, fit_poisson
from .core.fit_models import fit_legacy_cube, legacy_rate_model
from .core.model import TEV_TO_MEV
from .core.rate import energy_bin_exposure, grid_solid_angle
from .errors import BaccmodTypeError, BaccmodValueError
from .model import rate_model
from .modeling import log_factorial as _log_factorial_041, log_poisson as _log_poisson_041
from .options import check_number

__all__ = ["ModelFit", "LegacyFit", "legacy_fit", "fit_residuals", "poisson_fitter",
           "log_factorial", "log_poisson"]

log = logging.getLogger(__name__)

#: Values of ``Grid3DAcceptanceMapCreator``'s ``method``.
METHODS = ("stack", "fit")


class ModelFit:
    """The fit of an astropy model on a cube (see the module docstring).

    Parameters
    ----------
    model : astropy.modeling.Model
        1, 2 or 3 inputs ((energy), (fov_lon, fov_lat), (energy, fov_lon, fov_lat)), one
        output; its ``bounds``, ``fixed`` and ``tied`` are honoured.
    normalisation : sequence of str or None
        Parameters scaled together, before each fit, so that the model predicts the counts.
    maxiter : int
        Most evaluations of the likelihood per minimisation (> 0).

    Raises
    ------
    BaccmodTypeError, BaccmodValueError
        If the model or the options cannot be fitted (checked here, before any work).
    """

    def __init__(self, model, normalisation=("amplitude",), maxiter=1000):
        self.maxiter = check_number(maxiter, "maxiter", low=0, integer=True)
        self.model = rate_model(model, () if normalisation is None else normalisation)

    def __call__(self, cube, geometry, context="model"):
        lon, lat = grid_centres(geometry)
        # the model is a rate per TeV (BAccMod's scale for its seeds and bounds)
        fit = fit_cube(self.model, cube.counts, cube.exposure / TEV_TO_MEV, cube.energy_edges,
                       lon, lat, self.maxiter, "warn", f"{context}: ", cube.fill_geometry)
        return fit.rate / TEV_TO_MEV, fit.rate_error / TEV_TO_MEV, fit


class LegacyFit:
    """BAccMod 0.4.1's ``method="fit"`` (see :func:`baccmod.core.fit_models.legacy_rate_model`
    for ``fit_fnc``, ``fit_seeds``, ``fit_bounds``)."""

    def __init__(self, fit_fnc="gaussian2d", fit_seeds=None, fit_bounds=None, maxiter=1000):
        self.model = legacy_rate_model(fit_fnc, fit_seeds, fit_bounds)
        self.maxiter = maxiter

    def __call__(self, cube, geometry, context="model"):
        lon, lat = grid_centres(geometry)
        fit = fit_legacy_cube(self.model, cube.counts, cube.exposure,
                              full_exposure(cube, geometry), cube.energy_edges, lon, lat,
                              self.maxiter, "warn", f"{context}: ")
        return fit.rate, fit.rate_error, fit


def legacy_fit(method, fit_fnc, fit_seeds, fit_bounds):
    """The fit of ``Grid3DAcceptanceMapCreator``'s options: a :class:`LegacyFit` for
    ``method="fit"`` (raises on a bad fit function, seed or bound), None for ``"stack"``
    (warns that fit options given with it are not used)."""
    if not isinstance(method, str) or method not in METHODS:
        raise BaccmodValueError(f"method must be one of {METHODS}, not {method!r}.")
    if method == "fit":
        return LegacyFit(fit_fnc, fit_seeds, fit_bounds)
    default_fnc = isinstance(fit_fnc, str) and fit_fnc == "gaussian2d"
    unused = [name for name, given in (("fit_fnc", not default_fnc),
                                       ("fit_seeds", fit_seeds is not None),
                                       ("fit_bounds", fit_bounds is not None)) if given]
    if unused:
        log.warning("%s given with method='stack' are not used; pass method='fit' to fit.",
                    ", ".join(unused))
    return None


def grid_centres(geometry):
    """fov_lon and fov_lat bin centres (deg) of a 3D geometry; fits need one."""
    if getattr(geometry, "kind", None) != "grid3d":
        raise BaccmodTypeError("fitted models are 3D: use a GridGeometry "
                               f"(Grid3DAcceptanceMapCreator), not {type(geometry).__name__}.")
    return geometry.bin_centres()


def full_exposure(cube, geometry):
    """livetime x dE x dOmega of each bin of ``cube`` without exclusion, s MeV sr."""
    solid_angle = grid_solid_angle(geometry.lon_axis.edges.to_value(u.rad),
                                   geometry.lat_axis.edges.to_value(u.rad))
    return energy_bin_exposure(cube.energy_edges, cube.livetime * solid_angle)


def fit_residuals(estimates):
    """BAccMod's ``sq_rel_residuals`` of fitted models: per fitted piece (in fit order, over
    the given :class:`~baccmod.estimate.RateEstimate` in turn), the mean and standard
    deviation of ``(counts - expected) / sqrt(expected)`` over its bins with exposure.

    Returns
    -------
    dict
        ``{"mean": list of float, "std": list of float}`` (empty lists without fits).
    """
    residuals = {"mean": [], "std": []}
    for estimate in estimates:
        if estimate.fit is None:
            continue
        expected_all = estimate.rate_computation * estimate.cube.exposure
        for key in estimate.fit.results:
            index = (slice(None),) + key if len(key) == 2 else key
            expected = expected_all[index]
            use = (estimate.cube.exposure[index] > 0) & (expected > 0)
            if not use.any():
                continue
            pulls = (estimate.cube.counts[index][use] - expected[use]) / np.sqrt(expected[use])
            residuals["mean"].append(float(np.mean(pulls)))
            residuals["std"].append(float(np.std(pulls)))
    return residuals


def poisson_fitter(model, *coords, data, exposure_correction=None, mask=None, maxiter=1000,
                   bin_size=1):
    """Fit an astropy model to counts by Poisson likelihood (BAccMod's ``poisson_fitter``).

    Expected counts = ``model(*coords) x exposure_correction x bin_size``; bins outside
    ``mask`` or with zero expected-count factor are left out. A fit that does not converge
    is reported by a warning.

    Parameters
    ----------
    model : astropy.modeling.Model
        1 to 3 inputs, one output; ``bounds``, ``fixed`` and ``tied`` are honoured.
    *coords : ndarray
        One array per input, of the shape of ``data``.
    data : ndarray
        Counts.
    exposure_correction, bin_size : ndarray or float, optional
        Factors turning the model's value into expected counts (default 1).
    mask : ndarray of bool, optional
    maxiter : int

    Returns
    -------
    astropy.modeling.Model
        A copy of ``model`` at the fitted values (tied parameters recomputed).
    """
    described = rate_model(model, normalisation=())
    data = np.asarray(data, dtype=float)
    factor = (1.0 if exposure_correction is None else np.asarray(exposure_correction)) \
        * np.asarray(bin_size, dtype=float)
    rate, jacobian = described.at(*np.broadcast_arrays(*coords))
    result = fit_poisson(rate, described.parameters, data,
                         np.broadcast_to(factor, data.shape), mask, maxiter, jacobian,
                         label=f"poisson_fitter ({type(model).__name__})")
    fitted = model.copy()
    for name, value in zip(result.parameters.names, result.values):
        setattr(fitted, name, value)
    for name, rule in fitted.tied.items():
        if rule:
            setattr(fitted, name, rule(fitted))
    return fitted


def log_factorial(x):
    """log(x!) of whole non-negative counts ``x`` (BAccMod head's argument name;
    :func:`baccmod.modeling.log_factorial` takes 0.4.1's ``count_map``)."""
    return _log_factorial_041(x)


def log_poisson(mu, x, log_factorial_x):
    """Poisson log-probability of counts ``x`` given expectations ``mu`` (BAccMod head's
    argument order; :func:`baccmod.modeling.log_poisson` has 0.4.1's ``(x, mu, ...)``)."""
    return _log_poisson_041(x, mu, log_factorial_x)
