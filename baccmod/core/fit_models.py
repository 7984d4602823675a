"""Background model functions for fits, with their derivatives, on plain arrays.

Ready rate models (s-1 MeV-1 sr-1; energy in TeV, FoV coordinates in deg), each
``f(*inputs, *parameters)`` with a ``<name>_jacobian`` of the same signature returning the
derivatives with respect to the parameters, shape (n_par, *inputs shape):

- :func:`powerlaw_cutoffs` (energy): power law with a low-energy super-exponential and a
  high-energy exponential cut-off;
- :func:`gaussian2d_gradients` (fov_lon, fov_lat): a rotated 2D Gaussian times linear
  gradients ``(1 + x_gradient fov_lon) (1 + y_gradient fov_lat)``;
- :func:`powerlaw_gaussian2d` (energy, fov_lon, fov_lat): power law x rotated 2D Gaussian;
- :func:`powerlaw_cutoffs_gaussian2d_gradients` (energy, fov_lon, fov_lat): the product of
  the first two.

The 2D Gaussian is the one of astropy's ``Gaussian2D``: standard deviation ``x_stddev``
along the direction at angle ``theta`` (rad) from the fov_lon axis, ``y_stddev`` across it,
peak value 1 before the amplitude.

BAccMod 0.4.1's ``fit_fnc`` functions (:data:`LEGACY_FIT_FUNCTIONS`) give counts per bin of
the grid they are evaluated on: ``size`` is their sum over that grid (before gradients).
:func:`legacy_rate_model` turns a name or a callable with 0.4.1's seeds/bounds into a
:class:`~baccmod.core.fit.RateModel`, and :func:`fit_legacy_cube` fits it per energy bin.
"""
import inspect

import numpy as np

from ..errors import BaccmodTypeError, BaccmodValueError
from .fit import FitParameters, RateModel, fit_cube


def _rotated_quadratic(x, y, x_mean, y_mean, x_stddev, y_stddev, theta, derivatives):
    """``q = u^2 / (2 x_stddev^2) + v^2 / (2 y_stddev^2)`` with (u, v) the offsets from the
    mean along and across ``theta``, and (if ``derivatives``, else None) its derivatives with
    respect to (x_mean, y_mean, x_stddev, y_stddev, theta)."""
    cos, sin = np.cos(theta), np.sin(theta)
    dx, dy = x - x_mean, y - y_mean
    u, v = dx * cos + dy * sin, dy * cos - dx * sin
    ax, ay = 1 / x_stddev ** 2, 1 / y_stddev ** 2
    q = 0.5 * (u ** 2 * ax + v ** 2 * ay)
    if not derivatives:
        return q, None
    return q, [v * sin * ay - u * cos * ax, -(u * sin * ax + v * cos * ay),
               -u ** 2 * ax / x_stddev, -v ** 2 * ay / y_stddev, u * v * (ax - ay)]


def _gaussian_shape(x, y, x_mean, y_mean, x_stddev, y_stddev, theta, derivatives=False):
    """exp(-q) (peak 1) and its derivatives, see :func:`_rotated_quadratic`."""
    q, dq = _rotated_quadratic(x, y, x_mean, y_mean, x_stddev, y_stddev, theta, derivatives)
    shape = np.exp(-q)
    return shape, None if dq is None else [-shape * d for d in dq]


def linear_gradients(x, y, x_gradient=0.0, y_gradient=0.0):
    """Linear gradients along two coordinates: ``(1 + x_gradient x) (1 + y_gradient y)``
    (gradients in the inverse unit of x and y, e.g. deg-1)."""
    return _gradient_factor(x, y, x_gradient, y_gradient)[0]


def _gradient_factor(x, y, x_gradient, y_gradient, derivatives=False):
    """(1 + x_gradient x)(1 + y_gradient y) and its derivatives."""
    fx, fy = 1 + x * x_gradient, 1 + y * y_gradient
    return fx * fy, [x * fy, fx * y] if derivatives else None


def _times(shape_a, derivatives_a, shape_b, derivatives_b):
    """Product of two shapes and its derivatives (parameters of a, then of b; None if the
    factors come without)."""
    if derivatives_a is None:
        return shape_a * shape_b, None
    return shape_a * shape_b, ([d * shape_b for d in derivatives_a]
                               + [shape_a * d for d in derivatives_b])


def _powerlaw_shape(energy, index, e_ref, derivatives=False):
    """(energy / e_ref)^-index and its derivatives with respect to (index, e_ref)."""
    log_ratio = np.log(energy / e_ref)
    shape = np.exp(-index * log_ratio)
    return shape, [-log_ratio * shape, index / e_ref * shape] if derivatives else None


def _cutoffs_shape(energy, low_cutoff, low_cutoff_index, high_cutoff, derivatives=False):
    """exp(-(low_cutoff / energy)^low_cutoff_index) exp(-energy / high_cutoff) and its
    derivatives with respect to (low_cutoff, low_cutoff_index, high_cutoff)."""
    low = (low_cutoff / energy) ** low_cutoff_index
    shape = np.exp(-low - energy / high_cutoff)
    if not derivatives:
        return shape, None
    return shape, [-low_cutoff_index / low_cutoff * low * shape,
                   -np.log(low_cutoff / energy) * low * shape,
                   energy / high_cutoff ** 2 * shape]


def _spectral_shape(energy, index, e_ref, low_cutoff, low_cutoff_index, high_cutoff,
                    derivatives=False):
    return _times(*_powerlaw_shape(energy, index, e_ref, derivatives),
                  *_cutoffs_shape(energy, low_cutoff, low_cutoff_index, high_cutoff,
                                  derivatives))


def _spatial_shape(x, y, x_mean, y_mean, x_stddev, y_stddev, theta, x_gradient, y_gradient,
                   derivatives=False):
    return _times(*_gaussian_shape(x, y, x_mean, y_mean, x_stddev, y_stddev, theta,
                                   derivatives),
                  *_gradient_factor(x, y, x_gradient, y_gradient, derivatives))


def _scaled(amplitude, shape, derivatives):
    """amplitude x shape and its derivatives (amplitude first), each of the full shape."""
    full = np.broadcast_shapes(np.shape(shape), *map(np.shape, derivatives))
    return np.stack([np.broadcast_to(shape, full)]
                    + [np.broadcast_to(amplitude * d, full) for d in derivatives])


def powerlaw_cutoffs(energy, amplitude=1.0, index=2.7, e_ref=1.0, low_cutoff=0.3,
                     low_cutoff_index=2.0, high_cutoff=100.0):
    """Power law with cut-offs: ``amplitude (E / e_ref)^-index
    exp(-(low_cutoff / E)^low_cutoff_index) exp(-E / high_cutoff)``.

    Parameters
    ----------
    energy : ndarray
        TeV.
    amplitude : float
        Rate at ``e_ref`` without the cut-offs, s-1 MeV-1 sr-1.
    index : float
        Spectral index.
    e_ref : float
        Reference energy, TeV (degenerate with ``amplitude``: keep it fixed in fits).
    low_cutoff, high_cutoff : float
        Cut-off energies, TeV.
    low_cutoff_index : float
        Sharpness of the low-energy cut-off.
    """
    return amplitude * _spectral_shape(energy, index, e_ref, low_cutoff, low_cutoff_index,
                                       high_cutoff)[0]


def powerlaw_cutoffs_jacobian(energy, amplitude, index, e_ref, low_cutoff, low_cutoff_index,
                              high_cutoff):
    """Derivatives of :func:`powerlaw_cutoffs`, shape (6, *energy.shape)."""
    return _scaled(amplitude, *_spectral_shape(energy, index, e_ref, low_cutoff,
                                               low_cutoff_index, high_cutoff, True))


def gaussian2d_gradients(fov_lon, fov_lat, amplitude=1.0, x_mean=0.0, y_mean=0.0,
                         x_stddev=1.0, y_stddev=1.0, theta=0.0, x_gradient=0.0,
                         y_gradient=0.0):
    """Rotated 2D Gaussian with linear gradients:
    ``amplitude G(fov_lon, fov_lat) (1 + x_gradient fov_lon) (1 + y_gradient fov_lat)``.

    Parameters
    ----------
    fov_lon, fov_lat : ndarray
        FoV coordinates, deg.
    amplitude : float
        Peak rate of the Gaussian, s-1 MeV-1 sr-1.
    x_mean, y_mean, x_stddev, y_stddev : float
        Centre and standard deviations, deg.
    theta : float
        Rotation of the ``x_stddev`` axis from the fov_lon axis, rad.
    x_gradient, y_gradient : float
        Relative change of the rate per deg of fov_lon / fov_lat, deg-1.
    """
    return amplitude * _spatial_shape(fov_lon, fov_lat, x_mean, y_mean, x_stddev, y_stddev,
                                      theta, x_gradient, y_gradient)[0]


def gaussian2d_gradients_jacobian(fov_lon, fov_lat, amplitude, x_mean, y_mean, x_stddev,
                                  y_stddev, theta, x_gradient, y_gradient):
    """Derivatives of :func:`gaussian2d_gradients`, shape (8, *fov_lon.shape)."""
    return _scaled(amplitude, *_spatial_shape(fov_lon, fov_lat, x_mean, y_mean, x_stddev,
                                              y_stddev, theta, x_gradient, y_gradient, True))


def powerlaw_gaussian2d(energy, fov_lon, fov_lat, amplitude=1.0, index=2.7, e_ref=1.0,
                        x_mean=0.0, y_mean=0.0, x_stddev=1.0, y_stddev=1.0, theta=0.0):
    """Power law x rotated 2D Gaussian: ``amplitude (E / e_ref)^-index G(fov_lon, fov_lat)``.

    Units as :func:`powerlaw_cutoffs` and :func:`gaussian2d_gradients`; ``amplitude`` is the
    rate at ``e_ref`` at the Gaussian's peak.
    """
    return amplitude * _times(*_powerlaw_shape(energy, index, e_ref),
                              *_gaussian_shape(fov_lon, fov_lat, x_mean, y_mean, x_stddev,
                                               y_stddev, theta))[0]


def powerlaw_gaussian2d_jacobian(energy, fov_lon, fov_lat, amplitude, index, e_ref, x_mean,
                                 y_mean, x_stddev, y_stddev, theta):
    """Derivatives of :func:`powerlaw_gaussian2d`, shape (8, *energy.shape)."""
    return _scaled(amplitude, *_times(*_powerlaw_shape(energy, index, e_ref, True),
                                      *_gaussian_shape(fov_lon, fov_lat, x_mean, y_mean,
                                                       x_stddev, y_stddev, theta, True)))


def powerlaw_cutoffs_gaussian2d_gradients(energy, fov_lon, fov_lat, amplitude=1.0, index=2.7,
                                          e_ref=1.0, low_cutoff=0.3, low_cutoff_index=2.0,
                                          high_cutoff=100.0, x_mean=0.0, y_mean=0.0,
                                          x_stddev=1.0, y_stddev=1.0, theta=0.0,
                                          x_gradient=0.0, y_gradient=0.0):
    """:func:`powerlaw_cutoffs` x :func:`gaussian2d_gradients` (one ``amplitude``: the rate
    at ``e_ref`` at the Gaussian's peak without cut-offs and gradients)."""
    return amplitude * _times(
        *_spectral_shape(energy, index, e_ref, low_cutoff, low_cutoff_index, high_cutoff),
        *_spatial_shape(fov_lon, fov_lat, x_mean, y_mean, x_stddev, y_stddev, theta,
                        x_gradient, y_gradient))[0]


def powerlaw_cutoffs_gaussian2d_gradients_jacobian(energy, fov_lon, fov_lat, amplitude, index,
                                                   e_ref, low_cutoff, low_cutoff_index,
                                                   high_cutoff, x_mean, y_mean, x_stddev,
                                                   y_stddev, theta, x_gradient, y_gradient):
    """Derivatives of :func:`powerlaw_cutoffs_gaussian2d_gradients`, shape (13, ...)."""
    return _scaled(amplitude, *_times(
        *_spectral_shape(energy, index, e_ref, low_cutoff, low_cutoff_index, high_cutoff,
                         True),
        *_spatial_shape(fov_lon, fov_lat, x_mean, y_mean, x_stddev, y_stddev, theta,
                        x_gradient, y_gradient, True)))


# --- BAccMod 0.4.1 fit_fnc functions: counts per bin of the evaluated grid -----------------

def _normalised_gaussian(x, y, x_cm, y_cm, width, length, psi, derivatives=False):
    """The Gaussian divided by its sum over the grid, and (if ``derivatives``) its
    derivatives with respect to (x_cm, y_cm, width, length, psi)."""
    q, dq = _rotated_quadratic(x, y, x_cm, y_cm, length, width, psi, derivatives)
    shape = np.exp(-(q - np.min(q)))  # shifted: the sum cannot underflow to 0
    total = np.sum(shape)
    if not derivatives:
        return shape / total, None
    dq[2], dq[3] = dq[3], dq[2]  # _rotated_quadratic orders (along, across) = (length, width)
    derivatives = [-shape * d for d in dq]
    return shape / total, [d / total - shape * np.sum(d) / total ** 2 for d in derivatives]


def gaussian2d(x, y, size, x_cm, y_cm, width, length, psi):
    """BAccMod 0.4.1's 2D Gaussian: counts per bin summing to ``size`` over the grid (x, y).

    Parameters
    ----------
    x, y : ndarray
        Bin centres of the whole grid, deg.
    size : float
        Total counts over the grid.
    x_cm, y_cm : float
        Centre, deg.
    width, length : float
        Standard deviations across and along ``psi``, deg.
    psi : float
        Orientation of ``length`` from the x axis, rad.
    """
    return size * _normalised_gaussian(x, y, x_cm, y_cm, width, length, psi)[0]


def gaussian2d_jacobian(x, y, size, x_cm, y_cm, width, length, psi):
    """Derivatives of :func:`gaussian2d`, shape (6, *x.shape)."""
    return _scaled(size, *_normalised_gaussian(x, y, x_cm, y_cm, width, length, psi, True))


def bilinear_gaussian2d(x, y, size, x_cm, y_cm, width, length, psi, x_gradient, y_gradient):
    """:func:`gaussian2d` x ``(1 + x x_gradient)(1 + y y_gradient)`` (BAccMod 0.4.1);
    gradients in deg-1."""
    return size * _times(*_normalised_gaussian(x, y, x_cm, y_cm, width, length, psi),
                         *_gradient_factor(x, y, x_gradient, y_gradient))[0]


def bilinear_gaussian2d_jacobian(x, y, size, x_cm, y_cm, width, length, psi, x_gradient,
                                 y_gradient):
    """Derivatives of :func:`bilinear_gaussian2d`, shape (8, *x.shape)."""
    return _scaled(size, *_times(
        *_normalised_gaussian(x, y, x_cm, y_cm, width, length, psi, True),
        *_gradient_factor(x, y, x_gradient, y_gradient, True)))


_GAUSSIAN_SEEDS = {"x_cm": 0.0, "y_cm": 0.0, "width": 1.0, "length": 1.0, "psi": 0.0}
# psi is periodic and left unbounded: 0.4.1's bound (0, 2 pi), with the seed on its edge,
# can leave migrad stuck at an edge, where the bound's transformation has no slope
_GAUSSIAN_BOUNDS = {"x_cm": (-5, 5), "y_cm": (-5, 5), "width": (-5, 5), "length": (-5, 5)}

#: name -> (function, jacobian, default seeds, default bounds), as in BAccMod 0.4.1.
LEGACY_FIT_FUNCTIONS = {
    "gaussian2d": (gaussian2d, gaussian2d_jacobian, _GAUSSIAN_SEEDS, _GAUSSIAN_BOUNDS),
    "bilinear_gaussian2d": (
        bilinear_gaussian2d, bilinear_gaussian2d_jacobian,
        {**_GAUSSIAN_SEEDS, "x_gradient": 0.0, "y_gradient": 0.0},
        {**_GAUSSIAN_BOUNDS, "x_gradient": (-5, 5), "y_gradient": (-5, 5)}),
}

#: The normalisation of a 0.4.1 fit function and the factors bounding it around its
#: count-derived seed.
LEGACY_NORMALISATION = "size"
LEGACY_NORMALISATION_BOUNDS = (0.1, 10.0)


def legacy_rate_model(fit_fnc="gaussian2d", fit_seeds=None, fit_bounds=None):
    """The model of ``Grid3DAcceptanceMapCreator(method='fit')`` (BAccMod 0.4.1 semantics).

    Parameters
    ----------
    fit_fnc : str or callable
        A name of :data:`LEGACY_FIT_FUNCTIONS` (or one of those functions), or
        ``f(x, y, size, ...)`` giving counts per bin on the grid (x, y) (deg) with ``size``
        its total (then fitted numerically).
    fit_seeds : dict, optional
        Seeds by parameter name, over the defaults of a named function; required for every
        parameter of a callable but ``size``. ``size`` is always seeded from the counts.
    fit_bounds : dict, optional
        ``(lower, upper)`` by parameter name, over the defaults; ``None`` fixes the parameter
        at its seed. ``size`` is always bounded to 0.1-10 times its seed.

    Returns
    -------
    RateModel
        Two inputs (x, y); its values are counts per bin of the unexcluded grid, fitted with
        the unexcluded fraction as exposure (:func:`fit_legacy_cube`).
    """
    function, jacobian, seeds, bounds = _legacy_function(fit_fnc)
    names = list(inspect.signature(function).parameters)[2:]
    if LEGACY_NORMALISATION not in names:
        raise BaccmodValueError(f"fit_fnc {_name(function)} needs a 'size' parameter (its "
                                "total counts over the grid) after its two coordinates.")
    seeds = {**seeds, **(fit_seeds or {}), LEGACY_NORMALISATION: 1.0}
    bounds = {**bounds, **(fit_bounds or {})}
    bounds.pop(LEGACY_NORMALISATION, None)
    _check_legacy_names(function, names, seeds, bounds)
    fixed = [name for name, bound in bounds.items() if bound is None]
    parameters = FitParameters.from_dicts(
        {name: seeds[name] for name in names},
        {name: bound for name, bound in bounds.items() if bound is not None}, fixed)
    return RateModel(2, function, parameters, jacobian, (LEGACY_NORMALISATION,),
                     LEGACY_NORMALISATION_BOUNDS)


def _legacy_function(fit_fnc):
    if isinstance(fit_fnc, str):
        if fit_fnc not in LEGACY_FIT_FUNCTIONS:
            raise BaccmodValueError(f"fit_fnc {fit_fnc!r} is not a built-in fit function; use "
                                    f"one of {sorted(LEGACY_FIT_FUNCTIONS)} or a callable.")
        return LEGACY_FIT_FUNCTIONS[fit_fnc]
    if not callable(fit_fnc):
        raise BaccmodTypeError(f"fit_fnc must be a name of {sorted(LEGACY_FIT_FUNCTIONS)} or "
                               f"a callable f(x, y, size, ...), not {type(fit_fnc).__name__}.")
    for entry in LEGACY_FIT_FUNCTIONS.values():
        # a built-in function itself, or wrapped (baccmod.modeling's): as by its name
        if getattr(fit_fnc, "__wrapped__", fit_fnc) is entry[0]:
            return entry
    return fit_fnc, None, {}, {}


def _check_legacy_names(function, names, seeds, bounds):
    missing = [name for name in names if name not in seeds]
    unknown = sorted((set(seeds) | set(bounds)) - set(names))
    if missing or unknown:
        raise BaccmodValueError(
            f"fit_fnc {_name(function)} has the parameters {names}: "
            + (f"give fit_seeds for {missing}" if missing else "")
            + ("; " if missing and unknown else "")
            + (f"fit_seeds/fit_bounds name unknown parameters {unknown}" if unknown else "")
            + ".")


def _name(function):
    return getattr(function, "__name__", repr(function))


def fit_legacy_cube(model, counts, exposure, full_exposure, energy_edges, lon_centres,
                    lat_centres, maxiter=1000, on_failure="warn", context=""):
    """Fit a :func:`legacy_rate_model` per energy bin and return rates.

    As in BAccMod 0.4.1 the function gives counts per bin and the expected counts are those
    times the unexcluded fraction ``exposure / full_exposure``; the rate is the fitted counts
    over ``full_exposure``.

    Parameters
    ----------
    model : RateModel
        From :func:`legacy_rate_model`.
    counts, exposure : ndarray, shape (n_energy, n_lon, n_lat)
        Unexcluded counts and exposure (s MeV sr, with the unexcluded fraction).
    full_exposure : ndarray, shape (n_energy, n_lon, n_lat)
        The exposure without exclusion (livetime x dE x dOmega), s MeV sr, > 0.
    energy_edges, lon_centres, lat_centres, maxiter, on_failure, context
        As for :func:`baccmod.core.fit.fit_cube` (centres in deg).

    Returns
    -------
    CubeFit
        ``rate``, ``rate_error`` in s-1 MeV-1 sr-1.
    """
    full_exposure = np.asarray(full_exposure, dtype=float)
    if np.shape(full_exposure) != np.shape(counts) or not np.all(full_exposure > 0):
        raise BaccmodValueError(f"{context}full_exposure must be > 0 and of the counts' shape "
                                f"{np.shape(counts)}.")
    fraction = np.asarray(exposure, dtype=float) / full_exposure
    cube = fit_cube(model, counts, fraction, energy_edges, lon_centres, lat_centres, maxiter,
                    on_failure, context)
    cube.rate = cube.rate / full_exposure
    cube.rate_error = cube.rate_error / full_exposure
    return cube
