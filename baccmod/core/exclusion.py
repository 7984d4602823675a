"""Exclusion of sky regions: which events are excluded, and the unexcluded fraction of bins.

An exclusion is a list of :class:`ExcludedArea`: a containment test on sky positions plus a
bounding circle. The bounding circle lets every computation skip points that cannot be inside
the area (by the triangle inequality on their distance from the pointing), so areas far from a
run's field of view cost nothing for that run.

Unexcluded fraction of a bin: the share of the bin's solid angle outside every excluded area,
averaged over a run's good time intervals. It is integrated on ``oversample`` x ``oversample``
sub-pixels per bin, each tested at its centre.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .fov import angular_separation, fov_radec_to_sky


@dataclass(frozen=True)
class ExcludedArea:
    """A sky area to exclude.

    Attributes
    ----------
    contains : callable
        ``contains(lon, lat) -> bool ndarray``: True inside the area; lon, lat in rad (ICRS).
    center_lon, center_lat, radius : float
        A circle (rad) containing the whole area.
    """
    contains: Callable[[np.ndarray, np.ndarray], np.ndarray]
    center_lon: float
    center_lat: float
    radius: float

    def distance_from(self, lon, lat):
        """Distance (rad) of the bounding circle's centre from a direction."""
        return float(angular_separation(lon, lat, self.center_lon, self.center_lat))


def areas_near(areas, pointing_lon, pointing_lat, max_offset):
    """The areas whose bounding circle reaches within ``max_offset`` (rad) of the pointing."""
    return [a for a in areas
            if a.distance_from(pointing_lon, pointing_lat) <= max_offset + a.radius]


def _candidates(offset, areas, pointing_lon, pointing_lat):
    """Per area, a mask of the points (at distance ``offset`` from the pointing) it may contain."""
    masks = []
    for area in areas:
        d = area.distance_from(pointing_lon, pointing_lat)
        masks.append(np.abs(offset - d) <= area.radius * (1 + 1e-9) + 1e-12)
    return masks


def excluded_mask(lon, lat, offset, areas, pointing_lon, pointing_lat):
    """True for the directions inside any area.

    Parameters
    ----------
    lon, lat : ndarray, shape (n,)
        Sky positions, rad.
    offset : ndarray, shape (n,)
        Their angular distance from the pointing, rad (used to skip far points cheaply).
    areas : list of ExcludedArea
    pointing_lon, pointing_lat : float
        Pointing direction, rad.

    Returns
    -------
    excluded : ndarray of bool, shape (n,)
    """
    excluded = np.zeros(lon.shape, dtype=bool)
    for area, cand in zip(areas, _candidates(offset, areas, pointing_lon, pointing_lat)):
        idx = np.flatnonzero(cand & ~excluded)
        if idx.size:
            excluded[idx] = np.asarray(area.contains(lon[idx], lat[idx]), dtype=bool)
    return excluded


def _transverse(lon, lat):
    """Unit vector components (x, v_lon, v_lat) of reversed-longitude offset coordinates."""
    return np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)


def ring_unexcluded_fraction(offset_edges, oversample, areas, pointing_lon, pointing_lat):
    """Unexcluded fraction of offset rings around a pointing.

    Each ring is cut into ``oversample`` sub-rings and each sub-ring into azimuthal sectors
    about as long as the sub-ring is wide (at least ``4 * oversample``, a multiple of 4); the fraction is the
    solid-angle-weighted share of sub-cells whose centre lies outside every area. A ring's
    fraction does not depend on the field rotation, so no time average is needed.

    Parameters
    ----------
    offset_edges : ndarray, shape (n_offset + 1,)
        Ring edges, rad, increasing from 0.
    oversample : int
        Sub-rings per ring.
    areas : list of ExcludedArea
    pointing_lon, pointing_lat : float
        Pointing direction, rad.

    Returns
    -------
    fraction : ndarray, shape (n_offset,)
        Unexcluded fraction in [0, 1].
    """
    n_ring = len(offset_edges) - 1
    fraction = np.ones(n_ring)
    areas = areas_near(areas, pointing_lon, pointing_lat, offset_edges[-1])
    if not areas:
        return fraction
    for i in range(n_ring):
        sub_edges = np.linspace(offset_edges[i], offset_edges[i + 1], oversample + 1)
        width = sub_edges[1] - sub_edges[0]
        excluded_solid_angle = 0.0
        for r1, r2 in zip(sub_edges[:-1], sub_edges[1:]):
            r_mid = 0.5 * (r1 + r2)
            n_phi = max(4 * oversample, int(np.ceil(2 * np.pi * np.sin(r_mid) / width)))
            n_phi += -n_phi % 4  # symmetric under quarter turns
            phi = (np.arange(n_phi) + 0.5) * (2 * np.pi / n_phi)
            offset = np.full(n_phi, r_mid)
            lon, lat = np.arctan2(np.sin(r_mid) * np.sin(phi), np.cos(r_mid)), \
                np.arcsin(np.sin(r_mid) * np.cos(phi))
            sky_lon, sky_lat = fov_radec_to_sky(lon, lat, pointing_lon, pointing_lat)
            n_excluded = excluded_mask(sky_lon, sky_lat, offset, areas,
                                       pointing_lon, pointing_lat).sum()
            excluded_solid_angle += n_excluded / n_phi * 2 * np.pi * (np.cos(r1) - np.cos(r2))
        ring_solid_angle = 2 * np.pi * (np.cos(offset_edges[i]) - np.cos(offset_edges[i + 1]))
        fraction[i] = 1.0 - excluded_solid_angle / ring_solid_angle
    return np.clip(fraction, 0.0, 1.0)


def grid_unexcluded_fraction(lon_edges, lat_edges, oversample, areas, pointing_lon, pointing_lat,
                             sky_to_altaz_matrices, node_weights):
    """Unexcluded fraction of AltAz-aligned FoV bins, averaged over the run's time nodes.

    Sub-pixel centres (``oversample`` per bin side) are mapped from the AltAz-aligned FoV
    frame to the sky at each time node, with the node's orthogonal map between the two FoV
    frames, and tested against the areas. Nodes are weighted by the time they represent.

    Parameters
    ----------
    lon_edges, lat_edges : ndarray, shape (n_lon + 1,), (n_lat + 1,)
        FoV bin edges, rad.
    oversample : int
    areas : list of ExcludedArea
    pointing_lon, pointing_lat : float
        Pointing direction (ICRS), rad.
    sky_to_altaz_matrices : ndarray, shape (n_node, 2, 2)
        Maps from sky-aligned to AltAz-aligned FoV transverse components,
        see :func:`baccmod.core.fov.fov_frame_matrices`.
    node_weights : ndarray, shape (n_node,)
        Time represented by each node (any unit).

    Returns
    -------
    fraction : ndarray, shape (n_lon, n_lat)
    """
    return grid_unexcluded_fractions(lon_edges, lat_edges, oversample, areas, pointing_lon,
                                     pointing_lat, sky_to_altaz_matrices, node_weights)[0]


def grid_unexcluded_fractions(lon_edges, lat_edges, oversample, areas, pointing_lon,
                              pointing_lat, sky_to_altaz_matrices, node_weights,
                              within_offset=np.inf):
    """:func:`grid_unexcluded_fraction`, and the same fraction counting sub-pixels farther
    than ``within_offset`` (rad) from the pointing as excluded, from one mapping to the sky.

    Returns
    -------
    fraction, fraction_within : ndarray, shape (n_lon, n_lat)
    """
    n_lon, n_lat = len(lon_edges) - 1, len(lat_edges) - 1
    max_offset = angular_separation(0.0, 0.0, np.max(np.abs(lon_edges)),
                                    np.max(np.abs(lat_edges)))
    areas = areas_near(areas, pointing_lon, pointing_lat, max_offset)
    if not areas and within_offset >= max_offset:
        return np.ones((n_lon, n_lat)), np.ones((n_lon, n_lat))
    sub_lon_edges = _subdivide(lon_edges, oversample)
    sub_lat_edges = _subdivide(lat_edges, oversample)
    lon_c = 0.5 * (sub_lon_edges[1:] + sub_lon_edges[:-1])
    lat_c = 0.5 * (sub_lat_edges[1:] + sub_lat_edges[:-1])
    grid_lon, grid_lat = np.meshgrid(lon_c, lat_c, indexing="ij")
    x, v_lon, v_lat = _transverse(grid_lon.ravel(), grid_lat.ravel())
    offset = np.arccos(np.clip(x, -1.0, 1.0))
    # sub-pixels that no area can reach are never mapped to the sky
    reachable = np.zeros(offset.shape, dtype=bool)
    for cand in _candidates(offset, areas, pointing_lon, pointing_lat):
        reachable |= cand
    idx = np.flatnonzero(reachable)
    excluded_time = np.zeros(offset.shape)
    if idx.size:
        weights = np.asarray(node_weights, dtype=float) / np.sum(node_weights)
        for inverse, weight in zip(np.linalg.inv(sky_to_altaz_matrices), weights):
            s_lon = inverse[0, 0] * v_lon[idx] + inverse[0, 1] * v_lat[idx]
            s_lat = inverse[1, 0] * v_lon[idx] + inverse[1, 1] * v_lat[idx]
            fov_lon_sky = np.arctan2(s_lon, x[idx])
            fov_lat_sky = np.arcsin(np.clip(s_lat, -1.0, 1.0))
            sky_lon, sky_lat = fov_radec_to_sky(fov_lon_sky, fov_lat_sky,
                                                pointing_lon, pointing_lat)
            excluded = excluded_mask(sky_lon, sky_lat, offset[idx], areas,
                                     pointing_lon, pointing_lat)
            excluded_time[idx] += weight * excluded
    sub_solid_angle = np.outer(np.diff(sub_lon_edges), np.diff(np.sin(sub_lat_edges)))

    def bin_fraction(unexcluded):
        kept = (unexcluded.reshape(sub_solid_angle.shape) * sub_solid_angle)
        kept = kept.reshape(n_lon, oversample, n_lat, oversample).sum(axis=(1, 3))
        total = sub_solid_angle.reshape(n_lon, oversample, n_lat, oversample).sum(axis=(1, 3))
        return np.clip(kept / total, 0.0, 1.0)

    unexcluded = 1.0 - excluded_time
    return bin_fraction(unexcluded), bin_fraction(unexcluded * (offset <= within_offset))


def _subdivide(edges, oversample):
    """Edges of ``oversample`` equal sub-bins in every bin."""
    edges = np.asarray(edges, dtype=float)
    steps = np.linspace(0.0, 1.0, oversample + 1)[:-1]
    inner = edges[:-1, None] + np.diff(edges)[:, None] * steps[None, :]
    return np.append(inner.ravel(), edges[-1])
