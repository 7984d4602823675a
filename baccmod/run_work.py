"""One run's share of a model, worked out on its own.

Every model is a sum over runs: each run is read once into arrays and gives its counts and
exposure (per piece when runs are cut in time), its pointing track and its run-wise
normalisation inputs. :func:`run_work` does that for one run and returns a :class:`RunWork`
of plain numbers and arrays, so that runs can be worked on in other processes or machines
(:mod:`baccmod.executors`) and kept for later builds (:mod:`baccmod.run_cache`); the builds
of :mod:`baccmod.build` sum the RunWorks in the runs' order.
"""
import hashlib
import logging
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from astropy import units as u

from .adapters.irf import safe_energy_threshold
from .core.histogram import count_energy
from .core.model import RunContribution, RunSummary, run_label, timed_per
from .core.split import azimuth_at, cos_zenith_at, equal_piece_count, split_run
from .core.zenith import angle_crossing_times, edge_crossing_times
from .limits import check_run_pieces
from .per_run import SIDE_BOUNDARIES
from .products import RunRecord

log = logging.getLogger(__name__)
#: Version of what a RunWork holds and how it is computed; part of every cache key.
WORK_FORMAT = 1


@dataclass(frozen=True)
class RunWorkSpec:
    """What the work on one run depends on.

    Attributes
    ----------
    geometry : RadialGeometry or GridGeometry
    energy_edges : ndarray
        Energy edges (TeV) the counts are summed on (the computation axis).
    areas : tuple of ExcludedArea
    location : EarthLocation, optional
        Site overriding the runs'.
    rate_per : str
        ``"livetime"`` or ``"observation_time"`` (see :func:`baccmod.core.model.timed_per`).
    zenith : baccmod.build.ZenithBinning
        Its fine cos-zenith edges, ``run_splitting`` and ``azimuth_split`` say where runs are
        cut into pieces (when ``pieces``).
    pieces : bool
        Cut runs into pieces and give each piece's mid-time cos zenith and azimuth (models
        binned in zenith or split in azimuth).
    whole : bool
        Give each run's whole contribution (stacked models, run-wise norms).
    norm : bool
        Give the run-wise normalisation inputs and the run's safe energy threshold.
    file_digests : bool
        Give the size, time and content digest of the run's files (for the run cache).
    """
    geometry: object
    energy_edges: np.ndarray
    areas: tuple = ()
    location: object = None
    rate_per: str = "livetime"
    zenith: object = None
    pieces: bool = False
    whole: bool = True
    norm: bool = False
    file_digests: bool = False

    @property
    def track(self):
        """Whether runs are read with their GTIs and pointing track."""
        return self.pieces or self.norm or self.file_digests or self.rate_per != "livetime"

    def identity(self):
        """Text naming everything a RunWork's numbers depend on (not what it is asked to
        give), or None when an exclusion area has no identity (see ExcludedArea)."""
        if any(not area.identity for area in self.areas):
            return None
        geometry = self.geometry
        parts = [f"format {WORK_FORMAT}", geometry.kind,
                 _floats(geometry.offset_axis.edges.to_value(u.rad)),
                 f"oversample {geometry.oversample}", _floats(self.energy_edges),
                 f"rate per {self.rate_per}", "site " + _site(self.location),
                 f"fine cos zenith {_floats(self.zenith.fine_edges)}",
                 f"splitting {self.zenith.run_splitting} {self.zenith.azimuth_split}"]
        if geometry.kind == "grid3d":
            parts.append(f"rotation {geometry.max_fraction_pixel_rotation_fov!r} "
                         f"{geometry.time_resolution_s!r}")
        parts.extend(area.identity for area in self.areas)
        return "\n".join(parts)

    def token(self):
        """A short digest of :meth:`identity` (None when it has none)."""
        identity = self.identity()
        return None if identity is None else hashlib.sha256(identity.encode()).hexdigest()


def _floats(values):
    return " ".join(repr(float(v)) for v in np.ravel(values))


def _site(location):
    if location is None:
        return "of the run"
    return _floats(u.Quantity(location.geocentric).to_value(u.m))


@dataclass
class PieceWork:
    """A piece of a run (the whole run when it is not cut): its contribution and its
    pointing's cos zenith and azimuth (rad) at its mid-time (NaN without a track)."""
    contribution: RunContribution
    cos_zenith: float = np.nan
    azimuth: float = np.nan


@dataclass
class RunWork:
    """What a run gives the models (see :func:`run_work`).

    Attributes
    ----------
    obs_id : int
    source : str
        The run's events file ('' in memory).
    record : baccmod.products.RunRecord
    pointing_lon, pointing_lat : float
        ICRS pointing, rad.
    livetime : float
        s (per the spec's ``rate_per``).
    pieces : list of PieceWork
        In time order; the whole run as one piece when it is not cut.
    whole : RunContribution, optional
        The whole run's, with its norm inputs when asked.
    gti_starts, gti_stops, track_times, track_cos_zenith, track_azimuth : ndarray, optional
        See :class:`baccmod.core.model.RunArrays`.
    safe_energy_threshold : float, optional
        TeV (``LO_THRES`` of its effective area), None when unknown.
    files : dict
        path -> (size, mtime_ns, sha256 hex) of the run's files, when asked.
    log_records : list
        (logger name, level, message) logged while working on the run.
    """
    obs_id: int
    source: str
    record: RunRecord
    pointing_lon: float
    pointing_lat: float
    livetime: float
    pieces: list
    whole: Optional[RunContribution] = None
    gti_starts: Optional[np.ndarray] = None
    gti_stops: Optional[np.ndarray] = None
    track_times: Optional[np.ndarray] = None
    track_cos_zenith: Optional[np.ndarray] = None
    track_azimuth: Optional[np.ndarray] = None
    safe_energy_threshold: Optional[float] = None
    files: dict = field(default_factory=dict)
    log_records: list = field(default_factory=list)

    @property
    def label(self):
        return run_label(self.obs_id, self.source)

    def summary(self, norm_energy_edges):
        """The run's :class:`~baccmod.core.model.RunSummary` with its normalisation counts in
        ``norm_energy_edges`` (TeV)."""
        edges = np.asarray(norm_energy_edges, dtype=float)
        return RunSummary(self.obs_id, self.livetime, self.gti_starts, self.gti_stops,
                          self.track_times, self.track_cos_zenith, self.track_azimuth,
                          count_energy(self.whole.norm_energies, edges),
                          self.whole.norm_solid_angle, edges)


#: The accumulators of the last specs worked with in this process: runs at one wobble
#: position share what an accumulator keeps per pointing (radial ring fractions).
_TEMPLATES = {}


def _template(spec):
    key = (id(spec.geometry), _floats(spec.energy_edges))
    if key not in _TEMPLATES:
        if len(_TEMPLATES) >= 4:
            _TEMPLATES.clear()
        _TEMPLATES[key] = (spec.geometry, spec.geometry.accumulator(spec.energy_edges))
    return _TEMPLATES[key][1]


def run_work(obs, spec):
    """Read one run and work out what it gives the models of ``spec``.

    Parameters
    ----------
    obs : gammapy.data.Observation
    spec : RunWorkSpec

    Returns
    -------
    RunWork
    """
    files = run_file_digests(obs) if spec.file_digests else {}
    run = timed_per(spec.geometry.read(obs, spec.location, spec.areas, track=spec.track),
                    spec.rate_per)
    cuts = model_cut_times(run, spec.zenith) if spec.pieces else np.empty(0)
    check_run_work(run, spec, cuts.size + 1)
    template = _template(spec)
    pieces = split_run(run, cuts) if cuts.size else [(run, None)]
    whole = None
    if len(pieces) > 1 and (spec.whole or spec.norm):
        whole = template.contribution(run, spec.areas, norm=spec.norm)
    works = []
    for piece, mid_time in pieces:
        part = template.contribution(piece, spec.areas, norm=spec.norm and len(pieces) == 1)
        if mid_time is None and run.track_times is not None:
            mid_time = 0.5 * (run.gti_starts.min() + run.gti_stops.max())
        works.append(PieceWork(part, *_pointing_at(run, mid_time)))
    if whole is None:
        whole = works[0].contribution
    return RunWork(
        int(run.obs_id), run.source, RunRecord.of(run), run.pointing_lon, run.pointing_lat,
        run.livetime, works, whole, run.gti_starts, run.gti_stops, run.track_times,
        run.track_cos_zenith, run.track_azimuth,
        safe_energy_threshold(obs) if spec.norm else None, files)


def _pointing_at(run, mid_time):
    """cos zenith and azimuth (rad) of the run's pointing at ``mid_time`` (NaN without)."""
    if mid_time is None or run.track_times is None:
        return np.nan, np.nan
    return float(cos_zenith_at(run, mid_time)), float(azimuth_at(run, mid_time))


def model_cut_times(run, zenith):
    """Times (s) where a run is cut: fine cos-zenith edge crossings (``run_splitting``) and
    azimuth side changes (``azimuth_split``)."""
    cuts = []
    if zenith.run_splitting:
        cuts.append(edge_crossing_times(run.track_times, run.track_cos_zenith,
                                        zenith.fine_edges))
    if zenith.azimuth_split:
        cuts.append(angle_crossing_times(run.track_times, run.track_azimuth, SIDE_BOUNDARIES))
    return np.concatenate(cuts) if cuts else np.empty(0)


def check_run_work(run, spec, n_pieces):
    """Refuse a run (once read, before its heavy work) whose work exceeds the limits of
    :mod:`baccmod.limits`; ``n_pieces``: the pieces it is cut into (1 when it is not)."""
    check_run_pieces(run.obs_id, n_pieces, "zenith_binning_run_splitting or "
                     "azimuth_east_west_splitting", "raise initial_cos_zenith_binning")
    spec.geometry.check_run_work(run, n_pieces)


def check_mini_irf_pieces(run, resolution):
    """Refuse a run cut into more mini-IRF pieces than the limit (``run``: with its GTIs;
    checked when its per-run model is made, as the resolution is no part of its work)."""
    check_run_pieces(run.obs_id, equal_piece_count(run, resolution),
                     f"mini_irf_time_resolution={resolution:g} s",
                     "raise mini_irf_time_resolution")


def run_file_digests(obs):
    """path -> (size, mtime_ns, sha256 hex) of the files the run is read from (events, GTI,
    effective area); {} when its events are in memory."""
    digests = {}
    for path in run_files(obs):
        stat = os.stat(path)
        digests[path] = (stat.st_size, stat.st_mtime_ns, file_digest(path))
    return digests


def run_files(obs):
    """The files (absolute paths, str) a run is read from, [] when its events are in memory."""
    if "_events" in obs.__dict__:
        return []
    paths = []
    for key in ("__events_hdu", "__gti_hdu", "_aeff_hdu"):
        location = obs.__dict__.get(key)
        if location is not None and hasattr(location, "path"):
            path = os.path.abspath(location.path())
            if path not in paths:
                paths.append(path)
    return paths


def file_digest(path):
    """sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
