"""Stacked background models from runs given as plain arrays.

A model is accumulated run by run (memory: one run's events plus the cubes):

>>> acc = RadialAccumulator(energy_edges, offset_edges, oversample=10)
>>> for run in runs:
...     acc.add(run, excluded_areas)
>>> cube = acc.result()           # BackgroundCube: counts, exposure, rate

Units: energies in TeV, angles in rad, times in s, rates in s-1 MeV-1 sr-1.
"""
import logging
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from ..errors import BaccmodValueError, NoEventsError
from . import exclusion, histogram, rate as rate_mod
from .fov import angular_separation

log = logging.getLogger(__name__)

TEV_TO_MEV = rate_mod.TEV_TO_MEV
#: What a model's rates are per: each run's livetime (BAccMod's convention; gammapy's
#: ``observation_live_time_duration``, GTI sum x DEADC) or its observation time (gammapy's
#: ``observation_time_duration``, the GTI sum, which ``MapDatasetMaker`` multiplies the bkg
#: IRF by). See :func:`timed_per`.
RATE_PER = ("livetime", "observation_time")
#: Pointings whose ring fractions a radial accumulator keeps (runs repeat wobble positions).
_MAX_CACHED_POINTINGS = 256


def run_label(obs_id, source=""):
    """How messages name a run: "run <obs_id>", with "(file <source>)" when it has one."""
    return f"run {obs_id} (file {source})" if source else f"run {obs_id}"


@dataclass(frozen=True)
class RunArrays:
    """One run as plain arrays.

    Attributes
    ----------
    obs_id : int
    livetime : float
        Livetime, s.
    energy : ndarray, shape (n,)
        Reconstructed energies, TeV.
    lon, lat : ndarray, shape (n,)
        Event sky positions (ICRS), rad.
    pointing_lon, pointing_lat : float
        Pointing (ICRS), rad.
    fov_lon, fov_lat : ndarray, shape (n,), optional
        Event coordinates in the AltAz-aligned FoV frame, rad (3D models only).
    sky_to_altaz_matrices : ndarray, shape (n_node, 2, 2), optional
        Maps from sky- to AltAz-aligned FoV frame at time nodes (3D models with exclusion).
    node_weights : ndarray, shape (n_node,), optional
        Livetime represented by each node, s.
    node_times : ndarray, shape (n_node,), optional
        Times of the nodes, s from the run's reference time.
    dt : ndarray, shape (n,), optional
        Event times, s from the run's reference time (needed to split a run).
    gti_starts, gti_stops : ndarray, shape (n_gti,), optional
        Good time intervals, s from the run's reference time.
    track_times, track_cos_zenith, track_azimuth : ndarray, shape (n_track,), optional
        The pointing's cos(zenith) and azimuth (rad, North through East) at times (s from the
        reference time) spanning the GTIs; needed for zenith binning and per-run models.
    source : str
        The run's file, for messages ('' in memory).
    nearest_event_offset : float, optional
        Smallest distance (rad) of any event of the whole run from its pointing (pieces of a
        run keep the run's); None: that of ``lon``, ``lat``.
    time_start_mjd, time_stop_mjd : float, optional
        Start of the run's first GTI and end of its last, MJD (TT) (pieces of a run keep the
        run's); for the products' run table.
    """
    obs_id: int
    livetime: float
    energy: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    pointing_lon: float
    pointing_lat: float
    fov_lon: Optional[np.ndarray] = None
    fov_lat: Optional[np.ndarray] = None
    sky_to_altaz_matrices: Optional[np.ndarray] = None
    node_weights: Optional[np.ndarray] = None
    node_times: Optional[np.ndarray] = None
    dt: Optional[np.ndarray] = None
    gti_starts: Optional[np.ndarray] = None
    gti_stops: Optional[np.ndarray] = None
    track_times: Optional[np.ndarray] = None
    track_cos_zenith: Optional[np.ndarray] = None
    track_azimuth: Optional[np.ndarray] = None
    source: str = ""
    nearest_event_offset: Optional[float] = None
    time_start_mjd: Optional[float] = None
    time_stop_mjd: Optional[float] = None

    def offsets(self):
        """Angular distance of each event from the pointing, rad."""
        return angular_separation(self.pointing_lon, self.pointing_lat, self.lon, self.lat)

    @property
    def label(self):
        """The run as messages name it (see :func:`run_label`)."""
        return run_label(self.obs_id, self.source)


def observation_time(gti_starts, gti_stops):
    """Observation time (ontime) of GTIs (arrays of starts and stops, s): their sum, s."""
    return float(np.sum(np.asarray(gti_stops) - np.asarray(gti_starts)))


def timed_per(run, rate_per):
    """The run with the time its rates are per (``rate_per``, one of :data:`RATE_PER`).

    Every time a model takes from a run (its exposure, the zenith bins' time thresholds, the
    products' run table) is the run's ``livetime`` attribute; for ``"observation_time"``
    that becomes the sum of its GTIs (``run.gti_starts`` and ``gti_stops`` are needed), and
    the weights of its rotation nodes follow. ``"livetime"`` gives the run unchanged.
    """
    if rate_per == "livetime":
        return run
    if rate_per != "observation_time":
        raise BaccmodValueError(f"rate_per must be one of {RATE_PER}, got {rate_per!r}.")
    if run.gti_starts is None or run.gti_stops is None:
        raise BaccmodValueError(f"{run.label}: its GTIs are needed for rates per observation "
                                "time (RunArrays.gti_starts / gti_stops).")
    ontime = observation_time(run.gti_starts, run.gti_stops)
    changes = dict(livetime=ontime)
    if run.node_weights is not None and run.livetime > 0:
        changes["node_weights"] = run.node_weights * (ontime / run.livetime)
    return replace(run, **changes)


@dataclass(frozen=True)
class RunSummary:
    """What the per-run models need from a run once its events are counted: its GTIs,
    pointing track and run-wise normalisation inputs (see :class:`RunArrays`,
    :class:`RunContribution`)."""
    obs_id: int
    livetime: float
    gti_starts: np.ndarray
    gti_stops: np.ndarray
    track_times: np.ndarray
    track_cos_zenith: np.ndarray
    track_azimuth: np.ndarray
    norm_counts: np.ndarray
    norm_solid_angle: np.ndarray
    norm_energy_edges: np.ndarray

    @property
    def observation_time(self):
        """The run's observation time (ontime), s: the sum of its GTIs, the time gammapy's
        ``MapDatasetMaker`` multiplies a bkg IRF by (``observation_time_duration``)."""
        return observation_time(self.gti_starts, self.gti_stops)


@dataclass
class BackgroundCube:
    """A stacked model: counts, exposure (s MeV sr), rate (s-1 MeV-1 sr-1) and its
    statistical error per bin.

    All arrays have shape (n_energy, *spatial) on the cube's energy binning. The rate error is
    sqrt(counts) / exposure, and that of one count where a bin has none (the rate is then
    known only to be below about one count's worth). Spatial bins without exposure in any run
    take the rate and error of their nearest exposed bins (``n_filled`` of them).
    """
    energy_edges: np.ndarray
    counts: np.ndarray
    exposure: np.ndarray
    rate: np.ndarray
    livetime: float
    n_filled: int
    rate_error: Optional[np.ndarray] = None
    exposed: Optional[np.ndarray] = None
    fill_geometry: Optional[tuple] = None

    @classmethod
    def from_sums(cls, energy_edges, counts, exposure, livetime, exposed, fill_geometry):
        """The cube of summed counts and exposure (shape (n_energy, *spatial)); ``exposed``:
        spatial bins with exposure; ``fill_geometry``: groups and positions of the spatial
        bins (see :func:`baccmod.core.rate.fill_unexposed`)."""
        rate = rate_mod.rate_from_counts(counts, exposure)
        error = rate_mod.rate_from_counts(np.sqrt(np.maximum(counts, 1.0)), exposure)
        rate, n_filled = rate_mod.fill_unexposed(rate, exposed, *fill_geometry)
        error, _ = rate_mod.fill_unexposed(error, exposed, *fill_geometry)
        return cls(np.asarray(energy_edges, dtype=float), counts, exposure, rate, livetime,
                   n_filled, error, exposed, fill_geometry)

    def rebinned(self, edge_indices):
        """The cube on merged energy bins: ``edge_indices`` are the indices of the kept edges
        (first 0, last n_energy, increasing); counts and exposure are summed."""
        edge_indices = np.asarray(edge_indices)
        return BackgroundCube.from_sums(
            self.energy_edges[edge_indices], np.add.reduceat(self.counts, edge_indices[:-1]),
            np.add.reduceat(self.exposure, edge_indices[:-1]), self.livetime, self.exposed,
            self.fill_geometry)


@dataclass
class RunContribution:
    """What one run (or piece of a run) adds to a model.

    Attributes
    ----------
    counts : ndarray, shape (n_energy, *spatial)
        Unexcluded events per bin.
    spatial_exposure : ndarray, shape spatial
        livetime x solid angle x unexcluded fraction, s sr.
    livetime : float
        s.
    norm_energies, norm_solid_angle : ndarray, optional
        For the run-wise normalisation: the energies (TeV, increasing) of the unexcluded
        events within the maximum offset, and the unexcluded solid angle (sr) of each spatial
        bin inside that region (shape spatial); counted in the run's normalisation range by
        :meth:`baccmod.run_work.RunWork.summary`.
    """
    counts: np.ndarray
    spatial_exposure: np.ndarray
    livetime: float
    norm_solid_angle: Optional[np.ndarray] = None
    norm_energies: Optional[np.ndarray] = None


class _Accumulator:
    """Sums counts and exposure over runs; subclasses define the spatial binning."""

    def __init__(self, energy_edges, oversample):
        self.energy_edges = np.asarray(energy_edges, dtype=float)
        self.oversample = int(oversample)
        shape = (len(self.energy_edges) - 1,) + self.spatial_shape
        self.counts = np.zeros(shape)
        self.spatial_exposure = np.zeros(self.spatial_shape)  # s sr
        self.livetime = 0.0
        self._reported_off_field = set()  # obs_ids warned about by _warn_if_off_field

    def empty_copy(self):
        """An accumulator of the same binning with nothing added."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.counts = np.zeros_like(self.counts)
        other.spatial_exposure = np.zeros_like(self.spatial_exposure)
        other.livetime = 0.0
        return other

    def contribution(self, run, areas=(), norm=False):
        """Counts and exposure of one run (``areas``: list of ExcludedArea); with ``norm``
        also the inputs of the run-wise normalisation (:class:`RunContribution`)."""
        if not run.livetime > 0:
            raise BaccmodValueError(
                f"{run.label}: livetime is {run.livetime} s; it must be positive. "
                "Check the run's GTI and dead-time header, or leave the run out.")
        areas = exclusion.areas_near(list(areas), run.pointing_lon, run.pointing_lat,
                                     self.max_offset)
        offsets = run.offsets()
        self._warn_if_off_field(run, offsets)
        keep = ~exclusion.excluded_mask(run.lon, run.lat, offsets, areas,
                                        run.pointing_lon, run.pointing_lat)
        counts, fraction, norm_fraction = self._run_counts_fractions(run, offsets, keep, areas,
                                                                     norm)
        result = RunContribution(counts, run.livetime * fraction * self.solid_angle,
                                 run.livetime)
        if norm:
            result.norm_energies = np.sort(run.energy[keep & (offsets < self.norm_offset)])
            result.norm_solid_angle = self.solid_angle * norm_fraction
        log.log(15, "%s: %d events, %d counted, livetime %.1f s, mean unexcluded "
                "fraction %.3f", run.label, run.energy.size, int(counts.sum()), run.livetime,
                float(np.mean(fraction)))
        return result

    def _warn_if_off_field(self, run, offsets):
        """Warn (once per run) when a run has events but none within the model's largest
        offset: the sign of a wrong pointing. Such a run adds only its livetime."""
        nearest = run.nearest_event_offset
        if nearest is None:
            nearest = float(np.min(offsets)) if offsets.size else np.inf
        if np.isfinite(nearest) and nearest >= self.max_offset \
                and run.obs_id not in self._reported_off_field:
            self._reported_off_field.add(run.obs_id)
            log.warning("%s: none of its events lies within %.2f deg of its pointing (the "
                        "model's field); the nearest is %.2f deg away. Its pointing "
                        "(RA_PNT/DEC_PNT) is probably wrong; the run adds only its livetime, "
                        "which lowers the model's rate. Correct the pointing or leave the run "
                        "out.", run.label, np.degrees(self.max_offset), np.degrees(nearest))

    def add(self, run, areas=()):
        """Add one run's counts and exposure. ``areas``: list of ExcludedArea."""
        self.add_contribution(self.contribution(run, areas))

    def add_contribution(self, contribution):
        self.counts += contribution.counts
        self.spatial_exposure += contribution.spatial_exposure
        self.livetime += contribution.livetime

    def merge(self, other):
        """Add everything accumulated by ``other`` (same binning)."""
        self.add_contribution(other)

    def result(self):
        """The stacked :class:`BackgroundCube`; raises if nothing was counted."""
        if self.livetime <= 0:
            raise NoEventsError("no run was added: give at least one observation.")
        if not np.any(self.spatial_exposure > 0):
            raise BaccmodValueError(
                "the exclusion covers the whole field of view of every run: nothing is left "
                "to estimate the background from. Use smaller exclusion regions or other runs.")
        if self.counts.sum() == 0:
            raise NoEventsError(
                "no events in the energy/offset range of the model in any run: check the "
                "energy axis (TeV range of the events), the offset axis and the exclusions.")
        exposure = rate_mod.energy_bin_exposure(self.energy_edges, self.spatial_exposure)
        cube = BackgroundCube.from_sums(self.energy_edges, self.counts, exposure, self.livetime,
                                        self.spatial_exposure > 0, self._fill_geometry())
        if cube.n_filled:
            log.warning("%d spatial bins have no unexcluded exposure in any run; they take "
                        "the rate of their nearest exposed bins.", cube.n_filled)
        return cube


class RadialAccumulator(_Accumulator):
    """Counts and exposure in (energy, offset); offsets are exact event-pointing distances.

    Parameters
    ----------
    energy_edges : ndarray
        TeV.
    offset_edges : ndarray
        rad, increasing from 0.
    oversample : int
        Sub-rings per offset bin for the unexcluded fraction.
    """

    def __init__(self, energy_edges, offset_edges, oversample):
        self.offset_edges = np.asarray(offset_edges, dtype=float)
        self.spatial_shape = (len(self.offset_edges) - 1,)
        self.max_offset = self.offset_edges[-1]
        self.solid_angle = rate_mod.ring_solid_angle(self.offset_edges)
        super().__init__(energy_edges, oversample)

    def _run_counts_fractions(self, run, offsets, keep, areas, norm=False):
        """Counts, unexcluded fraction and (the same) fraction for the norm's region."""
        counts = histogram.count_energy_offset(run.energy, offsets, self.energy_edges,
                                               self.offset_edges, keep)
        # a ring's fraction depends on the pointing only: pieces of a run, and runs at the
        # same wobble position, share it
        key = (run.pointing_lon, run.pointing_lat, tuple(map(id, areas)))
        fractions = self.__dict__.setdefault("_ring_fractions", {})
        if key not in fractions:
            if len(fractions) >= _MAX_CACHED_POINTINGS:
                fractions.clear()
            fractions[key] = exclusion.ring_unexcluded_fraction(
                self.offset_edges, self.oversample, areas, run.pointing_lon, run.pointing_lat)
        return counts, fractions[key], fractions[key]

    @property
    def norm_offset(self):
        return self.max_offset

    def _fill_geometry(self):
        centers = 0.5 * (self.offset_edges[1:] + self.offset_edges[:-1])
        return np.arange(centers.size), centers[:, None]


class GridAccumulator(_Accumulator):
    """Counts and exposure in (energy, fov_lon, fov_lat) of the AltAz-aligned FoV frame.

    Parameters
    ----------
    energy_edges : ndarray
        TeV.
    lon_edges, lat_edges : ndarray
        FoV bin edges, rad (regular, symmetric about 0).
    oversample : int
        Sub-pixels per bin side for the unexcluded fraction.
    """

    def __init__(self, energy_edges, lon_edges, lat_edges, oversample):
        self.lon_edges = np.asarray(lon_edges, dtype=float)
        self.lat_edges = np.asarray(lat_edges, dtype=float)
        self.spatial_shape = (len(self.lon_edges) - 1, len(self.lat_edges) - 1)
        self.max_offset = float(angular_separation(0.0, 0.0, np.max(np.abs(self.lon_edges)),
                                                   np.max(np.abs(self.lat_edges))))
        self.solid_angle = rate_mod.grid_solid_angle(self.lon_edges, self.lat_edges)
        super().__init__(energy_edges, oversample)

    def _run_counts_fractions(self, run, offsets, keep, areas, norm=False):
        """Counts, unexcluded fraction and, with ``norm``, the unexcluded fraction within
        :attr:`norm_offset` (else None)."""
        if run.fov_lon is None or run.fov_lat is None:
            raise BaccmodValueError(f"run {run.obs_id}: FoV coordinates are needed for a 3D "
                                    "model (RunArrays.fov_lon / fov_lat).")
        counts = histogram.count_energy_fov(run.energy, run.fov_lon, run.fov_lat,
                                            self.energy_edges, self.lon_edges, self.lat_edges,
                                            keep)
        if not (areas or norm):
            return counts, np.ones(self.spatial_shape), None
        fraction, within = exclusion.grid_unexcluded_fractions(
            self.lon_edges, self.lat_edges, self.oversample, areas, run.pointing_lon,
            run.pointing_lat, run.sky_to_altaz_matrices, run.node_weights,
            within_offset=self.norm_offset if norm else np.inf)
        return counts, fraction, within if norm else None

    @property
    def norm_offset(self):
        """The run-wise norm is fitted within the circle of the offset axis' last edge."""
        return float(min(np.max(np.abs(self.lon_edges)), np.max(np.abs(self.lat_edges))))

    def _fill_geometry(self):
        lon_c = 0.5 * (self.lon_edges[1:] + self.lon_edges[:-1])
        lat_c = 0.5 * (self.lat_edges[1:] + self.lat_edges[:-1])
        grid_lon, grid_lat = np.meshgrid(lon_c, lat_c, indexing="ij")
        ring_width = np.min(np.diff(self.lon_edges))
        radius = angular_separation(0.0, 0.0, grid_lon, grid_lat)
        groups = np.floor(radius / ring_width + 1e-9).astype(int)
        return groups, np.stack([grid_lon, grid_lat], axis=-1)


def model_rate(cube, target_energy_edges):
    """Rate of a :class:`BackgroundCube` on the target energy binning (TeV edges)."""
    return rate_mod.interpolate_energy(cube.rate, cube.energy_edges, target_energy_edges)
