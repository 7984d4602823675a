"""Per-event histogramming of counts cubes (numba kernels).

Bins are half-open ``[edge_i, edge_i+1)``; events outside the edges are not counted.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def _bin_index(value, edges):
    """Index of the bin containing value, or -1 outside (edges increasing)."""
    if not (value >= edges[0]) or value >= edges[-1]:
        return -1
    return np.searchsorted(edges, value, side="right") - 1


@njit(cache=True)
def _histogram_2d(x, y, x_edges, y_edges, keep):
    counts = np.zeros((x_edges.size - 1, y_edges.size - 1))
    for i in range(x.size):
        if not keep[i]:
            continue
        ix = _bin_index(x[i], x_edges)
        iy = _bin_index(y[i], y_edges)
        if ix >= 0 and iy >= 0:
            counts[ix, iy] += 1.0
    return counts


@njit(cache=True)
def _histogram_3d(x, y, z, x_edges, y_edges, z_edges, keep):
    counts = np.zeros((x_edges.size - 1, y_edges.size - 1, z_edges.size - 1))
    for i in range(x.size):
        if not keep[i]:
            continue
        ix = _bin_index(x[i], x_edges)
        iy = _bin_index(y[i], y_edges)
        iz = _bin_index(z[i], z_edges)
        if ix >= 0 and iy >= 0 and iz >= 0:
            counts[ix, iy, iz] += 1.0
    return counts


def _keep_mask(keep, n):
    return np.ones(n, dtype=np.bool_) if keep is None else np.asarray(keep, dtype=np.bool_)


def count_energy_offset(energy, offset, energy_edges, offset_edges, keep=None):
    """Counts cube of events in (energy, offset).

    Parameters
    ----------
    energy : ndarray, shape (n,)
        Event energies (same unit as ``energy_edges``).
    offset : ndarray, shape (n,)
        Angular distance from the pointing (same unit as ``offset_edges``).
    energy_edges, offset_edges : ndarray
        Increasing bin edges.
    keep : ndarray of bool, shape (n,), optional
        Events to count (e.g. those outside exclusion regions); default all.

    Returns
    -------
    counts : ndarray, shape (n_energy, n_offset)
    """
    energy = np.asarray(energy, dtype=float)
    return _histogram_2d(energy, np.asarray(offset, dtype=float),
                         np.asarray(energy_edges, dtype=float),
                         np.asarray(offset_edges, dtype=float), _keep_mask(keep, energy.size))


def count_energy_fov(energy, fov_lon, fov_lat, energy_edges, lon_edges, lat_edges, keep=None):
    """Counts cube of events in (energy, fov_lon, fov_lat); see :func:`count_energy_offset`.

    Returns
    -------
    counts : ndarray, shape (n_energy, n_lon, n_lat)
    """
    energy = np.asarray(energy, dtype=float)
    return _histogram_3d(energy, np.asarray(fov_lon, dtype=float),
                         np.asarray(fov_lat, dtype=float), np.asarray(energy_edges, dtype=float),
                         np.asarray(lon_edges, dtype=float), np.asarray(lat_edges, dtype=float),
                         _keep_mask(keep, energy.size))
