"""From counts and exposure to a background rate cube.

Definitions
-----------
- exposure of a bin = sum over runs of livetime x dE x dOmega x unexcluded fraction
  (s MeV sr), with dOmega the exact solid angle of the bin;
- rate = counts / exposure (s-1 MeV-1 sr-1);
- a bin with no exposure in any run (excluded in every run) takes the mean rate of the
  nearest exposed bins of the same energy: for a FoV grid, first among the bins of the same
  offset ring (ring = floor(distance of the bin centre from the centre / ring width)), by
  distance between bin centres; if the ring has no exposed bin, the nearest ring that has.
"""
import logging

import numpy as np

log = logging.getLogger(__name__)

#: MeV per TeV: energies are in TeV, rates per MeV.
TEV_TO_MEV = 1e6
#: Smallest positive double, added before taking log10 of rates (BAccMod's convention).
TINY = np.finfo(float).tiny


def ring_solid_angle(offset_edges):
    """Solid angle (sr) of offset rings; edges in rad. Shape (n_offset,)."""
    return 2 * np.pi * -np.diff(np.cos(offset_edges))


def grid_solid_angle(lon_edges, lat_edges):
    """Exact solid angle (sr) of lon/lat bins of an offset frame; edges in rad.

    Returns shape (n_lon, n_lat): dlon x (sin lat2 - sin lat1).
    """
    return np.outer(np.diff(lon_edges), np.diff(np.sin(lat_edges)))


def energy_bin_exposure(energy_edges, spatial_exposure):
    """Exposure of (energy, spatial) bins: dE x ``spatial_exposure``, s MeV sr.

    Parameters
    ----------
    energy_edges : ndarray, shape (n_energy + 1,)
        TeV.
    spatial_exposure : ndarray, shape spatial
        livetime x solid angle (x unexcluded fraction) of each spatial bin, s sr.

    Returns
    -------
    exposure : ndarray, shape (n_energy, *spatial)
    """
    spatial_exposure = np.asarray(spatial_exposure, dtype=float)
    de_mev = np.diff(np.asarray(energy_edges, dtype=float)) * TEV_TO_MEV
    return de_mev.reshape((-1,) + (1,) * spatial_exposure.ndim) * spatial_exposure


def rate_from_counts(counts, exposure):
    """counts / exposure where exposure > 0, else 0 (see :func:`fill_unexposed`)."""
    rate = np.zeros_like(counts, dtype=float)
    np.divide(counts, exposure, out=rate, where=exposure > 0)
    return rate


def fill_unexposed(rate, exposed, bin_groups, bin_positions):
    """Give bins without exposure the mean rate of their nearest exposed bins.

    Parameters
    ----------
    rate : ndarray, shape (n_energy, *spatial)
        Rates; values of unexposed bins are replaced.
    exposed : ndarray of bool, shape spatial
        True where the bin has exposure (the same for every energy).
    bin_groups : ndarray of int, shape spatial
        Group (offset ring) of each bin; the nearest group with exposed bins is searched first.
    bin_positions : ndarray, shape (*spatial, d)
        Bin centre coordinates used for distances inside and between groups.

    Returns
    -------
    rate : ndarray
        A filled copy.
    n_filled : int
        Number of spatial bins filled.
    """
    rate = np.array(rate, dtype=float, copy=True)
    flat_rate = rate.reshape(rate.shape[0], -1)
    exposed = np.asarray(exposed, dtype=bool).ravel()
    groups = np.asarray(bin_groups).ravel()
    positions = np.asarray(bin_positions, dtype=float).reshape(exposed.size, -1)
    missing = np.flatnonzero(~exposed)
    if not exposed.any() or missing.size == 0:
        return rate, 0
    for j in missing:
        same = exposed & (groups == groups[j])
        if same.any():
            candidates = np.flatnonzero(same)
        else:
            exposed_groups = np.unique(groups[exposed])
            nearest = exposed_groups[np.argmin(np.abs(exposed_groups - groups[j]))]
            candidates = np.flatnonzero(exposed & (groups == nearest))
        distance = np.linalg.norm(positions[candidates] - positions[j], axis=1)
        nearest_bins = candidates[np.isclose(distance, distance.min(), rtol=1e-9, atol=0)]
        flat_rate[:, j] = flat_rate[:, nearest_bins].mean(axis=1)
    return rate, missing.size


def interpolate_energy(rate, source_edges, target_edges):
    """Rate on another energy binning, interpolated in log(energy) and log(rate).

    For each spatial bin, log10(rate) is linear in log10(energy) between the centres of the
    neighbouring source bins with a positive rate (extrapolated linearly from the outermost
    two beyond them). A target bin whose centre lies in a source bin with zero rate stays zero;
    no result is negative.

    Parameters
    ----------
    rate : ndarray, shape (n_source, ...)
        Rate on the source energy bins (first axis).
    source_edges, target_edges : ndarray
        Energy bin edges (same unit). The target range must lie inside the source range.

    Returns
    -------
    rate : ndarray, shape (n_target, ...)
    """
    source_edges = np.asarray(source_edges, dtype=float)
    target_edges = np.asarray(target_edges, dtype=float)
    if source_edges.shape == target_edges.shape and np.allclose(source_edges, target_edges,
                                                                rtol=1e-12, atol=0):
        return np.array(rate, dtype=float, copy=True)
    x_src = np.log10(np.sqrt(source_edges[1:] * source_edges[:-1]))
    x_tgt = np.log10(np.sqrt(target_edges[1:] * target_edges[:-1]))
    home = np.clip(np.searchsorted(source_edges, 10 ** x_tgt, side="right") - 1,
                   0, len(source_edges) - 2)
    flat = np.asarray(rate, dtype=float).reshape(rate.shape[0], -1)
    out = np.zeros((len(x_tgt), flat.shape[1]))
    for j in range(flat.shape[1]):
        positive = flat[:, j] > 0
        if not positive.any():
            continue
        xs, ys = x_src[positive], np.log10(flat[positive, j])
        if xs.size == 1:
            values = np.full(len(x_tgt), ys[0])
        else:
            values = np.interp(x_tgt, xs, ys)
            lo, hi = x_tgt < xs[0], x_tgt > xs[-1]
            values[lo] = ys[0] + (x_tgt[lo] - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0])
            values[hi] = ys[-1] + (x_tgt[hi] - xs[-1]) * (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        out[:, j] = np.where(positive[home], 10 ** values, 0.0)
    return out.reshape((len(x_tgt),) + rate.shape[1:])


def interpolate_energy_error(error, rate, source_edges, target_edges, target_rate):
    """Statistical error of a rate interpolated by :func:`interpolate_energy`.

    A target bin keeps the relative error of the source bin its centre falls in (the bin whose
    counts the interpolated value mostly rests on); where that source rate is zero, the
    source bin's absolute error.

    Parameters
    ----------
    error, rate : ndarray, shape (n_source, ...)
        Error and rate on the source energy bins.
    source_edges, target_edges : ndarray
        Energy bin edges (same unit).
    target_rate : ndarray, shape (n_target, ...)
        The interpolated rate.

    Returns
    -------
    error : ndarray, shape (n_target, ...)
    """
    source_edges = np.asarray(source_edges, dtype=float)
    target_edges = np.asarray(target_edges, dtype=float)
    centres = np.sqrt(target_edges[1:] * target_edges[:-1])
    home = np.clip(np.searchsorted(source_edges, centres, side="right") - 1,
                   0, len(source_edges) - 2)
    home_rate, home_error = np.asarray(rate)[home], np.asarray(error)[home]
    relative = np.divide(home_error, home_rate, out=np.zeros_like(home_error, dtype=float),
                         where=home_rate > 0)
    return np.where(home_rate > 0, relative * np.asarray(target_rate), home_error)
