"""BAccMod's module ``baccmod.toolbox``: its public helpers, computed with baccmod's own rules.

- :func:`compute_rotation_speed_fov`: how fast the field of view turns in AltAz;
- :func:`get_unique_wobble_pointings`: wobble position of each run;
- :func:`get_time_mini_irf` and :func:`generate_irf_from_mini_irf`: the pieces of a run and
  the mean of per-piece models (mini-IRFs);
- :func:`compute_neighbour_condition_validation`: neighbours supporting each bin, as used by
  the cleaning of interpolated models.
"""
import logging
from types import SimpleNamespace

import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz
from astropy.coordinates.earth import OMEGA_EARTH

from .core.split import equal_pieces, gti_overlap, piece_bounds
from .core.zenith import wobble_groups
from .core.zenith_interpolation import _supporting_neighbours
from .errors import BaccmodValueError

log = logging.getLogger(__name__)

#: Good time (s) below which a piece of a run counts as having none (rounding of times).
TIME_ROUNDING_S = 1e-9

__all__ = ["compute_rotation_speed_fov", "get_unique_wobble_pointings", "get_time_mini_irf",
           "generate_irf_from_mini_irf", "compute_neighbour_condition_validation"]


def compute_rotation_speed_fov(time_evaluation, pointing_sky, observatory_earth_location):
    """Angular speed of the field of view around the pointing, seen in AltAz.

    omega_earth cos(latitude) cos(azimuth) / cos(altitude): minus the rate of change of the
    parallactic angle (the position angle of the zenith, east of north).

    Parameters
    ----------
    time_evaluation : astropy.time.Time
        Time(s) at which to evaluate, scalar or shape (n,).
    pointing_sky : astropy.coordinates.SkyCoord
        Pointed sky direction.
    observatory_earth_location : astropy.coordinates.EarthLocation
        Site of the telescopes.

    Returns
    -------
    speed : Quantity
        rad / s, shape of ``time_evaluation``, with the sign of cos(azimuth).
    """
    altaz = pointing_sky.transform_to(AltAz(obstime=time_evaluation,
                                            location=observatory_earth_location))
    omega = OMEGA_EARTH.to_value(1 / u.s) * u.rad / u.s
    return omega * np.cos(observatory_earth_location.lat) * np.cos(altaz.az) / np.cos(altaz.alt)


def get_unique_wobble_pointings(observations, max_angular_separation_wobble=0.4 * u.deg):
    """Wobble position of each run, named ``'W1'``, ``'W2'``, ... in order of appearance.

    Pointings (ICRS, at each run's mid-time) are grouped as in baccmod's zenith binning
    (:func:`baccmod.core.zenith.wobble_groups`): a run joins the first wobble whose mean
    direction is within ``max_angular_separation_wobble``, else starts a new one.

    Parameters
    ----------
    observations : gammapy.data.Observations or iterable of Observation
    max_angular_separation_wobble : Quantity
        Angle.

    Returns
    -------
    wobbles : ndarray of str (object), shape (n_runs,)
    """
    pointings = [obs.get_pointing_icrs(obs.tmid) for obs in observations]
    ra = np.array([p.ra.rad for p in pointings])
    dec = np.array([p.dec.rad for p in pointings])
    groups = wobble_groups(ra, dec, u.Quantity(max_angular_separation_wobble, u.rad).value)
    wobbles = np.array([f"W{group + 1}" for group in groups], dtype=object)
    log.info("%d wobble positions found: %s", len(set(groups)),
             ", ".join(sorted(set(wobbles), key=lambda name: int(name[1:]))))
    return wobbles


def get_time_mini_irf(observation, mini_irf_time_resolution):
    """Mid-times and durations of the pieces (mini-IRFs) of a run.

    The run, from its first GTI start to its last GTI stop, is cut into equal pieces no
    longer than ``mini_irf_time_resolution``; pieces without good time are left out. A
    piece's duration is its good time (GTI) inside it, the weight baccmod gives it.

    Parameters
    ----------
    observation : gammapy.data.Observation
    mini_irf_time_resolution : Quantity
        Longest piece (time).

    Returns
    -------
    evaluation_time : astropy.time.Time, shape (n_pieces,)
        Mid-time of each piece.
    observation_time : Quantity, shape (n_pieces,)
        Good time of each piece, in the unit of ``mini_irf_time_resolution``.
    """
    resolution = u.Quantity(mini_irf_time_resolution)
    if not resolution.to_value(u.s) > 0:
        raise BaccmodValueError(f"run {observation.obs_id}: mini_irf_time_resolution must be "
                                f"a positive time, got {resolution}.")
    gti = observation.gti
    reference = gti.time_start[0]
    run = SimpleNamespace(gti_starts=(gti.time_start - reference).to_value(u.s),
                          gti_stops=(gti.time_stop - reference).to_value(u.s))
    bounds = np.array(piece_bounds(run, equal_pieces(run, resolution.to_value(u.s))))
    good_time = np.array([gti_overlap(run.gti_starts, run.gti_stops, a, b) for a, b in bounds])
    # time differences carry ~1e-12 s of rounding: a piece touching a GTI edge is not good time
    kept = good_time > TIME_ROUNDING_S
    evaluation_time = reference + bounds[kept].mean(axis=1) * u.s
    return evaluation_time, (good_time[kept] * u.s).to(resolution.unit)


def generate_irf_from_mini_irf(data_cube, observation_time):
    """Mean of the mini-IRFs weighted by their observation time.

    Parameters
    ----------
    data_cube : ndarray or Quantity, shape (n_pieces, ...)
        One model's data per piece.
    observation_time : Quantity or ndarray, shape (n_pieces,)
        Weight (time) of each piece.

    Returns
    -------
    data : ndarray or Quantity, shape ``data_cube.shape[1:]``
    """
    weights = np.asarray(u.Quantity(observation_time).value, dtype=float)
    if weights.ndim != 1 or weights.size != len(data_cube) or not np.all(weights >= 0) \
            or not weights.sum() > 0:
        raise BaccmodValueError(f"observation_time must hold one non-negative time per "
                                f"mini-IRF ({len(data_cube)}), not all zero; got {weights}.")
    return np.average(data_cube, axis=0, weights=weights)


def compute_neighbour_condition_validation(a, axis, relative_threshold):
    """Number of neighbours along ``axis`` (index -1 and +1) supporting each element.

    A neighbour of value w supports an element of value v when w > 0 and
    ``relative_threshold * v <= w <= v / relative_threshold`` (bounds included; BAccMod
    excludes them).

    Parameters
    ----------
    a : ndarray
        Rates, any shape.
    axis : int
    relative_threshold : float
        In (0, 1].

    Returns
    -------
    count : ndarray of uint8, shape of ``a`` (0, 1 or 2)
    """
    if not 0 < relative_threshold <= 1:
        raise BaccmodValueError(f"relative_threshold must be in (0, 1], got "
                                f"{relative_threshold}.")
    values = np.asarray(a, dtype=float)
    return _supporting_neighbours(values, (axis,), relative_threshold).astype(np.uint8)
