"""Checks of the creators' options, run in the constructor before any work.

Each check returns the option's value in the form the creators use, or raises a
:class:`~baccmod.errors.BaccmodTypeError` (wrong type or unit) or a
:class:`~baccmod.errors.BaccmodValueError` (value out of range) naming the option, what it got
and what it expects.

Options with a physical unit must be astropy Quantities: a plain number is refused rather than
read in an assumed unit (``0.4`` could be degrees or radians, ``60`` seconds or minutes).
"""
import numbers

import numpy as np
from astropy import units as u
from astropy.coordinates import EarthLocation

from .errors import BaccmodTypeError, BaccmodValueError


def check_flag(value, name):
    """``value`` as a bool; only True or False (also numpy's) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise BaccmodTypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_number(value, name, low=-np.inf, high=np.inf, low_open=True, high_open=True,
                 integer=False):
    """``value`` as a float (an int with ``integer``) inside the interval from low to high.

    Parameters
    ----------
    value : object
        A real number (Python or numpy); bools, strings and Quantities are refused.
    name : str
        The option's name, for the messages.
    low, high : float
        Ends of the allowed interval; ``low_open`` / ``high_open`` exclude them.
    integer : bool
        The value must be a whole number (e.g. a number of runs).
    """
    interval = (f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}")
    kind = "a whole number" if integer else "a number"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise BaccmodTypeError(f"{name} must be {kind} in {interval}, got {value!r} "
                               f"({type(value).__name__}).")
    number = float(value)
    inside = (low < number if low_open else low <= number) and \
        (number < high if high_open else number <= high)
    if not (np.isfinite(number) and inside) or (integer and number != int(number)):
        raise BaccmodValueError(f"{name} must be {kind} in {interval}, got {value!r}.")
    return int(number) if integer else number


def check_quantity(value, name, unit, example):
    """``value`` as a positive, finite, scalar Quantity in ``unit``.

    Parameters
    ----------
    value : object
        An astropy Quantity convertible to ``unit``.
    name : str
        The option's name, for the messages.
    unit : astropy.units.Unit
        Unit of the returned Quantity (e.g. ``u.s``).
    example : str
        A valid value, shown in the messages (e.g. ``"0.1 * u.s"``).
    """
    kind = str(unit.physical_type)
    what = f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} Quantity (e.g. {example})"
    if not isinstance(value, u.Quantity):
        plain = " a plain number has no unit," if isinstance(value, numbers.Real) else ""
        raise BaccmodTypeError(f"{name} must be {what}, got {value!r} "
                               f"({type(value).__name__}):{plain} give it with its unit.")
    if not value.unit.is_equivalent(unit):
        raise BaccmodTypeError(f"{name} must be {what}, got {value} (unit {value.unit}).")
    if not value.isscalar or not (np.isfinite(value.value) and value.value > 0):
        raise BaccmodValueError(f"{name} must be one positive, finite value, e.g. {example}, "
                                f"got {value}.")
    return value.to(unit)


def check_location(location):
    """``location``: None (read each run's site) or a finite astropy EarthLocation."""
    if location is None:
        return None
    if not isinstance(location, EarthLocation):
        raise BaccmodTypeError(
            f"location must be an astropy EarthLocation or None, got {location!r} "
            f"({type(location).__name__}). Give coordinates, e.g. H.E.S.S.: EarthLocation("
            "lon=16.5002 * u.deg, lat=-23.2717 * u.deg, height=1835 * u.m).")
    if not location.isscalar or not all(np.isfinite(c.value) for c in location.geocentric):
        raise BaccmodValueError(f"location must be one site with finite coordinates, got "
                                f"{location!r}.")
    return location

