"""BAccMod 0.4.1's module ``baccmod.modeling``: the 2D functions of
``Grid3DAcceptanceMapCreator(method="fit")`` and two Poisson helpers.

``gaussian2d`` and ``bilinear_gaussian2d`` give counts per FoV bin summing to ``size`` over
the grid they are evaluated on (see :mod:`baccmod.core.fit_models`, where they are computed);
each carries ``default_seeds`` and ``default_bounds`` as in 0.4.1, except that ``psi`` is not
bounded (a periodic angle: 0.4.1's bound (0, 2 pi), with its seed on the edge, can leave the
minimiser stuck there). ``FIT_FUNCTION`` maps their names to them. Passed as ``fit_fnc``,
they are fitted with their analytic derivatives.
"""
import functools

import numpy as np
from scipy.special import gammaln, xlogy

from .core.fit_models import LEGACY_FIT_FUNCTIONS
from .errors import BaccmodValueError

__all__ = ["bilinear_gaussian2d", "FIT_FUNCTION", "gaussian2d", "log_factorial",
           "log_poisson"]


def _with_defaults(name):
    """The legacy function ``name`` with 0.4.1's ``default_seeds`` and ``default_bounds``."""
    function, _, seeds, bounds = LEGACY_FIT_FUNCTIONS[name]

    @functools.wraps(function)
    def legacy_function(*args, **kwargs):
        return function(*args, **kwargs)
    legacy_function.default_seeds = dict(seeds)
    legacy_function.default_bounds = dict(bounds)
    legacy_function.__module__ = __name__
    return legacy_function


gaussian2d = _with_defaults("gaussian2d")
bilinear_gaussian2d = _with_defaults("bilinear_gaussian2d")
FIT_FUNCTION = {"gaussian2d": gaussian2d, "bilinear_gaussian2d": bilinear_gaussian2d}


def log_factorial(count_map):
    """ln(n!) of each element of an array of non-negative whole counts (same shape)."""
    counts = np.asarray(count_map)
    if not (np.all(np.isfinite(counts)) and np.all(counts >= 0)
            and np.all(counts == np.floor(counts))):
        raise BaccmodValueError("log_factorial needs non-negative whole counts.")
    return gammaln(counts + 1.0)


def log_poisson(x, mu, log_factorial_x):
    """Poisson log-probability ``x ln(mu) - mu - ln(x!)`` of counts ``x`` given expected
    counts ``mu`` (0.4.1's argument order), elementwise.

    Raises
    ------
    BaccmodValueError
        If an expectation is negative, or zero where counts were seen (probability 0).
    """
    x, mu = np.asarray(x, dtype=float), np.asarray(mu, dtype=float)
    if np.any(mu < 0) or np.any((mu == 0) & (x > 0)):
        raise BaccmodValueError("log_poisson: expected counts must be >= 0, and > 0 where "
                                "counts were seen.")
    return xlogy(x, mu) - mu - log_factorial_x
