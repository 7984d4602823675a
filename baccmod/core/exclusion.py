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

from ..errors import BaccmodValueError
from .fov import angular_separation, fov_radec_to_sky

#: Sub-pixels mapped to the sky at once in the 3D integration: bounds its memory (~40 MB)
#: whatever ``oversample``.
SUB_PIXEL_BLOCK = 1 << 18
#: Relative rounding error tolerated on summed time weights (a sum of n normalised weights
#: is 1 within ~n x 1e-16).
WEIGHT_SUM_RTOL = 1e-9


@dataclass(frozen=True)
class ExcludedArea:
    """A sky area to exclude.

    Attributes
    ----------
    contains : callable
        ``contains(lon, lat) -> bool ndarray``: True inside the area; lon, lat in rad (ICRS).
    center_lon, center_lat, radius : float
        A circle (rad) containing the whole area: finite, radius > 0.
    label : str
        What the area is, for messages (e.g. the region it comes from).
    identity : str
        What the area is exactly (e.g. its region's parameters), for the keys of cached runs;
        '' when unknown: runs with such an area are not cached.
    """
    contains: Callable[[np.ndarray, np.ndarray], np.ndarray]
    center_lon: float
    center_lat: float
    radius: float
    label: str = "exclusion area"
    identity: str = ""

    def __post_init__(self):
        circle = np.array([self.center_lon, self.center_lat, self.radius], dtype=float)
        if not (np.all(np.isfinite(circle)) and self.radius > 0):
            # a NaN circle is never near a run: the area would silently exclude nothing
            raise BaccmodValueError(
                f"{self.label}: its bounding circle (centre lon {self.center_lon}, lat "
                f"{self.center_lat} rad, radius {self.radius} rad) is not finite with a positive "
                "radius; give the exclusion finite coordinates and sizes.")

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
        excluded_solid_angle = 0.0
        for r1, r2, n_phi in zip(sub_edges[:-1], sub_edges[1:],
                                 _ring_sectors(sub_edges, oversample)):
            r_mid = 0.5 * (r1 + r2)
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


def _ring_sectors(sub_edges, oversample):
    """Azimuthal sectors of each sub-ring (between consecutive ``sub_edges``, rad): about as
    long as the sub-ring is wide, at least ``4 * oversample``, a multiple of 4 (so the cells
    are symmetric under quarter turns). int ndarray, shape (len(sub_edges) - 1,)."""
    r_mid = 0.5 * (sub_edges[1:] + sub_edges[:-1])
    width = np.diff(sub_edges)
    n_phi = np.maximum(4 * oversample, np.ceil(2 * np.pi * np.sin(r_mid) / width)).astype(int)
    return n_phi + (-n_phi % 4)


def ring_sub_cell_count(offset_edges, oversample):
    """Number of sub-cells :func:`ring_unexcluded_fraction` tests per pointing (int).

    It is at least ``4 * n_offset * oversample**2``: check that bound first when
    ``oversample`` may be huge (this count builds arrays of ``oversample`` per ring).
    """
    return int(sum(_ring_sectors(np.linspace(a, b, oversample + 1), oversample).sum()
                   for a, b in zip(offset_edges[:-1], offset_edges[1:])))


def grid_sub_pixel_count(lon_edges, lat_edges, oversample):
    """Number of sub-pixels :func:`grid_unexcluded_fractions` tests per time node (int)."""
    return (len(lon_edges) - 1) * (len(lat_edges) - 1) * oversample ** 2


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

    The sub-pixels are mapped in blocks of about :data:`SUB_PIXEL_BLOCK` (whole rows of
    sub-pixels along fov_lat), one time node at a time, so memory does not grow with
    ``oversample`` or with the number of nodes.

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
    nodes = (np.linalg.inv(sky_to_altaz_matrices),
             np.asarray(node_weights, dtype=float) / np.sum(node_weights)) if areas else None
    pointing = (pointing_lon, pointing_lat)
    total, kept, kept_within = (np.zeros((n_lon, n_lat)) for _ in range(3))
    rows_per_block = max(1, SUB_PIXEL_BLOCK // (n_lat * oversample))
    for start in range(0, n_lon * oversample, rows_per_block):
        stop = min(start + rows_per_block, n_lon * oversample)
        block_lon_edges = sub_lon_edges[start:stop + 1]
        unexcluded, offset = _block_unexcluded(block_lon_edges, sub_lat_edges, areas,
                                               pointing, nodes)
        solid_angle = np.outer(np.diff(block_lon_edges), np.diff(np.sin(sub_lat_edges)))
        lon_bin = np.arange(start, stop) // oversample
        for sums, values in ((total, solid_angle), (kept, unexcluded * solid_angle),
                             (kept_within, unexcluded * solid_angle * (offset <= within_offset))):
            np.add.at(sums, lon_bin, values.reshape(stop - start, n_lat, oversample).sum(axis=2))
    return np.clip(kept / total, 0.0, 1.0), np.clip(kept_within / total, 0.0, 1.0)


def _block_unexcluded(sub_lon_edges, sub_lat_edges, areas, pointing, nodes):
    """Time-weighted unexcluded share and offset (rad) of the sub-pixels between the given
    sub-pixel edges, both of shape (n_sub_lon, n_sub_lat); ``nodes``: the inverse
    sky-to-AltAz maps and normalised weights of the time nodes (None without areas)."""
    lon_c = 0.5 * (sub_lon_edges[1:] + sub_lon_edges[:-1])
    lat_c = 0.5 * (sub_lat_edges[1:] + sub_lat_edges[:-1])
    grid_lon, grid_lat = np.meshgrid(lon_c, lat_c, indexing="ij")
    x, v_lon, v_lat = _transverse(grid_lon.ravel(), grid_lat.ravel())
    offset = np.arccos(np.clip(x, -1.0, 1.0))
    excluded_time = np.zeros(offset.shape)
    # sub-pixels that no area can reach are never mapped to the sky
    reachable = np.zeros(offset.shape, dtype=bool)
    for cand in _candidates(offset, areas, *pointing):
        reachable |= cand
    idx = np.flatnonzero(reachable)
    if idx.size:
        x, v_lon, v_lat = x[idx], v_lon[idx], v_lat[idx]
        for inverse, weight in zip(*nodes):
            s_lon = inverse[0, 0] * v_lon + inverse[0, 1] * v_lat
            s_lat = inverse[1, 0] * v_lon + inverse[1, 1] * v_lat
            sky_lon, sky_lat = fov_radec_to_sky(np.arctan2(s_lon, x),
                                                np.arcsin(np.clip(s_lat, -1.0, 1.0)), *pointing)
            excluded_time[idx] += weight * excluded_mask(sky_lon, sky_lat, offset[idx], areas,
                                                         *pointing)
    # time weights summing to 1 - 1e-16 must not leave a sub-pixel excluded all the time a
    # residue of exposure (a stray event there would make a rate 1e16 times too high)
    unexcluded = np.where(excluded_time >= 1.0 - WEIGHT_SUM_RTOL, 0.0, 1.0 - excluded_time)
    return unexcluded.reshape(grid_lon.shape), offset.reshape(grid_lon.shape)


def _subdivide(edges, oversample):
    """Edges of ``oversample`` equal sub-bins in every bin."""
    edges = np.asarray(edges, dtype=float)
    steps = np.linspace(0.0, 1.0, oversample + 1)[:-1]
    inner = edges[:-1, None] + np.diff(edges)[:, None] * steps[None, :]
    return np.append(inner.ravel(), edges[-1])
