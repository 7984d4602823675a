"""Functional entry points: gammapy runs -> background models.

Custom pipelines call these directly with a :class:`ModelSpec`; the public creators of
:mod:`baccmod.api` check their options, make a spec and call them too. Data flow one way:
each run is read once into arrays (:mod:`baccmod.adapters`), its counts and exposure are
summed in :mod:`baccmod.core` (per fine cos-zenith piece when models are binned in zenith),
the sums become rates (:mod:`baccmod.estimate`) and the rates gammapy IRFs.

>>> spec = ModelSpec(GridGeometry(offset_axis, oversample=5), energy_axis, energy_axis)
>>> result = build_background(observations, spec)          # result.model: Background3D
>>> models, table = build_per_run_models(observations, spec, zenith_interpolation=True)
"""
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

import numpy as np
from astropy import units as u

from .adapters.irf import RATE_UNIT, check_model_rates
from .adapters.run_list import observation_list
from .collection import (AZIMUTH_SIDES, BackgroundCollectionZenith,
                         BackgroundCollectionZenithSplitAzimuth)
from .core.binned import ZenithBinnedAccumulator
from .core.rate import energy_bin_exposure
from .core.normalisation import norm_energy_edges
from .core.zenith import fine_cos_zenith_edges
from .errors import BaccmodTypeError, BaccmodValueError
from .estimate import estimate_rate
from .executors import Execution, execution
from .per_run import NORM_COLUMNS, per_run_models
from .products import model_products, per_run_meta, run_table, with_products
from .run_work import RunWorkSpec, check_mini_irf_pieces

log = logging.getLogger(__name__)
#: Meta key (and FITS header keyword) of a model's rate convention, one of RATE_PER.
RATE_PER_KEY = "RATE_PER"


@dataclass(frozen=True)
class ZenithBinning:
    """How runs are binned in cos(zenith) (see :mod:`baccmod.core.binned`).

    ``method`` and ``threshold``: what a bin needs (livetime in s or number of runs, per
    wobble with ``_per_wobble``); ``fine_width``: width of the fine cos-zenith bins;
    ``max_wobble_separation``: angle (rad) grouping pointings into wobble positions;
    ``run_splitting``: runs are cut where they cross a fine-bin edge; ``azimuth_split``:
    separate east and west models."""
    method: str = "min_livetime"
    threshold: float = 3600.0
    fine_width: float = 0.01
    max_wobble_separation: float = np.deg2rad(0.4)
    run_splitting: bool = False
    azimuth_split: bool = False

    @cached_property
    def fine_edges(self):
        return fine_cos_zenith_edges(self.fine_width)


#: Lowest energy (TeV) of the default run-wise normalisation range (see RunwiseNormalisation).
DEFAULT_NORM_ENERGY_MIN = 1.0


@dataclass(frozen=True)
class RunwiseNormalisation:
    """How per-run models are normalised to their run's counts (see
    :mod:`baccmod.core.normalisation`).

    ``energy_range``: (low, high) TeV; None: the default, from
    :data:`DEFAULT_NORM_ENERGY_MIN` (1 TeV) or the run's safe energy threshold (``LO_THRES``
    of its effective area) when that is higher, to the model's highest energy; the model's
    whole range when that does not reach above it (with a warning). Measured on H.E.S.S.
    DR1 (README, "Run-wise norm"): the counts near the threshold, where models from other
    runs match least, would otherwise set the norm. ``method``: ``"scale"`` or ``"fit"``."""
    energy_range: Optional[tuple] = None
    method: str = "scale"

    def energy_edges(self, obs, model_edges, safe_threshold=None):
        """Edges (TeV) of the normalisation bins of one run (model edges inside its range);
        ``safe_threshold``: the run's safe energy threshold (TeV), None when unknown."""
        low, high = self.energy_range or (
            max(DEFAULT_NORM_ENERGY_MIN, safe_threshold or 0.0), model_edges[-1])
        edges = norm_energy_edges(model_edges, low, high)
        if edges is not None:
            return edges
        if self.energy_range is not None:
            raise BaccmodValueError(
                f"runwise_normalisation_energy_range [{low:g}, {high:g}] TeV does not overlap "
                f"the model's energy axis [{model_edges[0]:g}, {model_edges[-1]:g}] TeV: "
                "give a range inside it.")
        log.warning("run %s: the default run-wise normalisation range starts at %.3g TeV "
                    "(%g TeV or the run's safe energy threshold if higher), above the model's "
                    "energy axis (up to %.3g TeV): its run-wise norm uses the whole axis; give "
                    "runwise_normalisation_energy_range to choose.", obs.obs_id, low,
                    DEFAULT_NORM_ENERGY_MIN, model_edges[-1])
        return np.asarray(model_edges, dtype=float)


@dataclass(frozen=True)
class ModelSpec:
    """Everything a model is built from, except the runs.

    Attributes
    ----------
    geometry : RadialGeometry or GridGeometry
    energy_axis, energy_axis_computation : gammapy.maps.MapAxis
        The model's energy axis and the one counts are summed on (covering it).
    areas : tuple of baccmod.core.exclusion.ExcludedArea
        Excluded sky (see :func:`baccmod.adapters.exclusion.excluded_areas`).
    location : EarthLocation, optional
        Observatory site overriding the runs'.
    zenith : ZenithBinning
    collection_settings : dict
        Interpolation settings of zenith collections (their constructor's arguments).
    mini_irf_time_resolution : float, optional
        Longest piece (s) of a run for mini-IRF per-run models; None for whole runs.
    dynamic_energy_axis : baccmod.estimate.DynamicEnergyAxis, optional
    fit : callable, optional
        Fitted rates (see :func:`baccmod.estimate.estimate_rate`).
    intermediary_output : bool
        Put each model's products in its ``meta["baccmod"]`` (see :mod:`baccmod.products`).
    norm : RunwiseNormalisation
        Energy range and method of the run-wise norms of per-run models.
    rate_per : str
        What the rates are per: ``"livetime"`` or ``"observation_time"`` (see
        :func:`baccmod.core.model.timed_per`); recorded as ``RATE_PER`` in each model's meta
        (a header keyword of the files gammapy writes).
    """
    geometry: object
    energy_axis: object
    energy_axis_computation: object
    areas: tuple = ()
    location: object = None
    zenith: ZenithBinning = field(default_factory=ZenithBinning)
    collection_settings: dict = field(default_factory=dict)
    mini_irf_time_resolution: Optional[float] = None
    dynamic_energy_axis: object = None
    fit: object = None
    intermediary_output: bool = False
    norm: RunwiseNormalisation = field(default_factory=RunwiseNormalisation)
    rate_per: str = "livetime"

    @property
    def energy_edges(self):
        """The model's energy edges, TeV."""
        return self.energy_axis.edges.to_value(u.TeV)

    def accumulator(self):
        return self.geometry.accumulator(self.energy_axis_computation.edges.to_value(u.TeV))

    def wrap(self, rate):
        """The gammapy IRF of a rate array on the model's axes (s-1 MeV-1 sr-1), its
        ``meta["RATE_PER"]`` saying what the rates are per."""
        model = self.geometry.wrap(rate, self.energy_axis)
        model.meta[RATE_PER_KEY] = self.rate_per
        return model

    def run_work_spec(self, pieces=False, whole=True, norm=False):
        """The :class:`~baccmod.run_work.RunWorkSpec` of each run's work for this model:
        cut into ``pieces`` (binned in zenith, split in azimuth), the ``whole`` run's
        contribution, the run-wise ``norm`` inputs."""
        return RunWorkSpec(self.geometry, self.energy_axis_computation.edges.to_value(u.TeV),
                           self.areas, self.location, self.rate_per, self.zenith, pieces,
                           whole, norm)

    def estimate(self, cube, context="model"):
        """:class:`~baccmod.estimate.RateEstimate` of a stacked cube."""
        return estimate_rate(cube, self.energy_edges, self.geometry, self.dynamic_energy_axis,
                             self.fit, context)


@dataclass
class BuildResult:
    """What a build gives besides its model(s).

    Attributes
    ----------
    model : IRF, zenith collection or None
    estimate : baccmod.estimate.RateEstimate, optional
        Of a stacked model.
    exposure : ndarray, optional
        Of a stacked model, on the model's energy axis, s MeV sr.
    livetime : float, optional
        Of a stacked model, s.
    zenith_bins : list of baccmod.core.binned.ZenithBin, optional
    estimates : dict, optional
        (side, zenith deg) -> RateEstimate of each zenith bin's model.
    summaries : list of RunSummary
        Per run, for per-run models.
    products : ModelProducts or dict, optional
        Of a stacked model; of a zenith collection, zenith (deg) -> ModelProducts, per side
        (``{"east": {...}, "west": {...}}``) when split in azimuth (see
        :mod:`baccmod.products`).
    """
    model: object = None
    estimate: object = None
    exposure: Optional[np.ndarray] = None
    livetime: Optional[float] = None
    zenith_bins: Optional[list] = None
    estimates: Optional[dict] = None
    summaries: list = field(default_factory=list)
    products: object = None


def build_background(observations, spec, n_jobs=None, executor=None, cache_dir=None):
    """The stacked model of the runs (Background2D or Background3D) in a :class:`BuildResult`.

    ``n_jobs`` (local processes), ``executor`` (any ``concurrent.futures.Executor``, e.g. a
    Dask client's) and ``cache_dir`` (the run cache) say where the runs are worked on and
    whether their work is kept (:mod:`baccmod.executors`, :mod:`baccmod.run_cache`); the
    model does not depend on them."""
    return scan(observation_list(observations, "observations"), spec, build="stacked",
                execution=execution(n_jobs, executor, cache_dir))


def build_zenith_collection(observations, spec, zenith_binning=True, n_jobs=None,
                            executor=None, cache_dir=None):
    """Models in cos(zenith) bins (``zenith_binning``; else one bin per azimuth side) as a
    zenith collection (azimuth-split with ``spec.zenith.azimuth_split``); ``n_jobs``,
    ``executor``, ``cache_dir``: see :func:`build_background`."""
    build = "binned" if zenith_binning else "azimuth"
    return scan(observation_list(observations, "observations"), spec, build=build,
                execution=execution(n_jobs, executor, cache_dir))


def build_per_run_models(observations, spec, zenith_binning=False, zenith_interpolation=False,
                         runwise_normalisation=True, off_observations=None, base_model=None,
                         n_jobs=None, executor=None, cache_dir=None):
    """One model per run: ``(dict obs_id -> IRF, normalisation table, BuildResult of the base
    model, dict obs_id -> statistical error of the run's rate)``.

    The errors are Quantities (s-1 MeV-1 sr-1), None for the runs whose base model's error
    is not known (a given ``base_model`` that is not a collection holding errors).

    The base model is ``base_model`` if given, else built from ``off_observations`` if given,
    else from ``observations``: stacked, or binned in cos(zenith) with ``zenith_binning``
    (implied by ``zenith_interpolation``). See
    :meth:`baccmod.api.RadialAcceptanceMapCreator.create_acceptance_map_per_observation`;
    ``n_jobs``, ``executor``, ``cache_dir``: see :func:`build_background`.
    """
    observations = observation_list(observations, "observations")
    where = execution(n_jobs, executor, cache_dir)
    binned = zenith_binning or zenith_interpolation
    build = "binned" if binned else "azimuth" if spec.zenith.azimuth_split else "stacked"
    if base_model is not None:
        if off_observations is not None:
            log.warning("both base_model and off_observations are given: base_model is used "
                        "and off_observations are ignored.")
        base = BuildResult(check_base_model(base_model, spec))
        summaries = scan(observations, spec, build=None, summarize=True,
                         execution=where).summaries
    elif off_observations is not None:
        base = scan(observation_list(off_observations, "off_observations"), spec, build=build,
                    execution=where)
        summaries = scan(observations, spec, build=None, summarize=True,
                         execution=where).summaries
    else:
        base = scan(observations, spec, build=build, summarize=True, execution=where)
        summaries = base.summaries
    base_error = base.estimate.rate_error if base.estimate is not None else None
    method = spec.norm.method if runwise_normalisation else None
    models, table, errors = per_run_models(base.model, summaries, spec.wrap, spec.energy_edges,
                                           zenith_interpolation, method,
                                           spec.mini_irf_time_resolution, base_error)
    if spec.intermediary_output:
        _per_run_meta(models, errors, table, base.products)
    errors = {obs_id: None if e is None else e * RATE_UNIT for obs_id, e in errors.items()}
    return models, table, base, errors


def _per_run_meta(models, errors, table, base_products):
    """Put each per-run model's error, norm and base products in its meta."""
    rows = {int(row["OBS_ID"]): {name: row[name].item() for name in NORM_COLUMNS}
            for row in table}
    for obs_id, model in models.items():
        with_products(model, per_run_meta(obs_id, errors[obs_id], rows.get(obs_id),
                                          base_products))


def scan(observations, spec, build, summarize=False, execution=None):
    """Read every run once; build the base model (``build``: "stacked", "binned", "azimuth"
    or None) and/or each run's summary for the per-run models (``summarize``).

    The runs are worked on as ``execution`` says (:class:`~baccmod.executors.Execution`:
    here, in local processes or by an executor, with or without the run cache) and summed
    in their order, so the result does not depend on it."""
    execution = execution or Execution()
    split = build in ("binned", "azimuth")
    work_spec = spec.run_work_spec(pieces=split, whole=build == "stacked" or summarize,
                                   norm=summarize)
    template = spec.accumulator()
    binned = ZenithBinnedAccumulator(template, spec.zenith.fine_edges) if split else None
    summaries, records, totals = [], [], {}
    for obs, work in execution.works(observations, work_spec):
        records.append(work.record)
        if split:
            position = binned.add_run(work.obs_id, work.pointing_lon, work.pointing_lat)
            for piece in work.pieces:
                side = _side_index(piece.azimuth) if spec.zenith.azimuth_split else 0
                binned.add(piece.contribution, piece.cos_zenith, position, side)
        elif build == "stacked":
            template.add_contribution(work.whole)
            totals[work.obs_id] = (work.whole.livetime, float(work.whole.counts.sum()))
        if summarize:
            summaries.append(_summary(obs, work, spec))
    if build == "stacked":
        result = _stacked(template, spec, run_table(records, totals))
    elif split:
        result = _collection(binned, build, spec, records)
    else:
        result = BuildResult()
    result.summaries = summaries
    return result


def _summary(obs, work, spec):
    """A run's RunSummary, its run-wise norm counted in its normalisation range."""
    if spec.mini_irf_time_resolution is not None:
        check_mini_irf_pieces(work, spec.mini_irf_time_resolution)
    edges = spec.norm.energy_edges(obs, spec.energy_edges, work.safe_energy_threshold)
    return work.summary(edges)


def _stacked(accumulator, spec, runs):
    estimate = spec.estimate(accumulator.result())
    exposure = energy_bin_exposure(spec.energy_edges, accumulator.spatial_exposure)
    products = model_products(estimate, accumulator.solid_angle, runs,
                              spec.energy_axis_computation)
    return BuildResult(_model_of(estimate, products, spec), estimate, exposure,
                       accumulator.livetime, products=products)


def _model_of(estimate, products, spec):
    """The IRF of an estimate, with its products in its meta when the spec asks."""
    model = spec.wrap(estimate.rate)
    return with_products(model, products) if spec.intermediary_output else model


def _collection(binned, build, spec, records):
    threshold = spec.zenith.threshold if build == "binned" else np.inf
    bins = binned.bins(spec.zenith.method, threshold, spec.zenith.max_wobble_separation)
    collections, estimates = {}, {}
    products = {side: {} for side in AZIMUTH_SIDES}
    for b in bins:
        collection = collections.setdefault(b.side,
                                            BackgroundCollectionZenith(**spec.collection_settings))
        estimate = spec.estimate(b.cube, context=_bin_name(b, spec))
        estimates[(AZIMUTH_SIDES[b.side], b.zenith_deg)] = estimate
        bin_products = model_products(estimate, binned.template.solid_angle,
                                      run_table(records, b.run_totals),
                                      spec.energy_axis_computation)
        products[AZIMUTH_SIDES[b.side]][b.zenith_deg] = bin_products
        collection[b.zenith_deg] = _model_of(estimate, bin_products, spec)
        collection.set_error(b.zenith_deg, estimate.rate_error * RATE_UNIT)
    if spec.zenith.azimuth_split:
        empty = BackgroundCollectionZenith(**spec.collection_settings)
        model = BackgroundCollectionZenithSplitAzimuth(east=collections.get(0, empty),
                                                       west=collections.get(1, empty))
    else:
        model, products = collections[0], products[AZIMUTH_SIDES[0]]
    return BuildResult(model, zenith_bins=bins, estimates=estimates, products=products)


def _bin_name(zenith_bin, spec):
    side = f"{AZIMUTH_SIDES[zenith_bin.side]} " if spec.zenith.azimuth_split else ""
    return f"{side}zenith bin at {zenith_bin.zenith_deg:.2f} deg"


def check_base_model(base_model, spec):
    """Refuse a base model the per-run models of ``spec`` cannot be made from, naming the
    model (zenith, side) and what is wrong; returns it."""
    expected = spec.wrap(np.ones((spec.energy_axis.nbin,) + spec.accumulator().spatial_shape))
    models = _labelled_models(base_model)
    if not models:
        raise BaccmodValueError("base_model holds no model.")
    for name, model in models:
        if type(model) is not type(expected):
            raise BaccmodTypeError(
                f"base_model must hold {type(expected).__name__} models for a "
                f"{spec.geometry.kind} model, not {type(model).__name__} ({name}).")
        if model.axes.names != expected.axes.names or not all(
                a.is_allclose(b) for a, b in zip(model.axes, expected.axes)):
            raise BaccmodValueError(
                f"base_model axes differ from the creator's ({name}): "
                f"{_describe_axes(model)} vs {_describe_axes(expected)}.")
        alignment = getattr(model, "fov_alignment", None)
        if alignment != getattr(expected, "fov_alignment", None):
            raise BaccmodValueError(
                f"{name} is {alignment.name}-aligned; 3D models here are "
                f"{expected.fov_alignment.name}-aligned and turning a RADEC model into one "
                "needs a rotation per run that baccmod does not do: give an ALTAZ-aligned "
                "Background3D (e.g. built by Grid3DAcceptanceMapCreator).")
        if not u.Unit(model.unit).is_equivalent(RATE_UNIT):
            raise BaccmodValueError(f"{name} has unit {model.unit}, not a background rate "
                                    "(s-1 MeV-1 sr-1 or equivalent).")
        check_model_rates(model, name)
        recorded = (getattr(model, "meta", None) or {}).get(RATE_PER_KEY)
        if recorded is not None and recorded != spec.rate_per:
            raise BaccmodValueError(
                f"{name} has rates per {recorded} (its {RATE_PER_KEY}), the creator makes "
                f"them per {spec.rate_per}: give rate_per={recorded!r} or a base model made "
                f"with rate_per={spec.rate_per!r}.")
    return base_model


def _labelled_models(base_model):
    """[(name for messages, model)] of a model, a zenith collection or an azimuth-split one."""
    if isinstance(base_model, BackgroundCollectionZenithSplitAzimuth):
        return [(f"base_model ({side} side, zenith {zenith} deg)", model)
                for side in AZIMUTH_SIDES
                for zenith, model in getattr(base_model, side).items()]
    if isinstance(base_model, BackgroundCollectionZenith):
        return [(f"base_model (zenith {zenith} deg)", model)
                for zenith, model in base_model.items()]
    return [("base_model", base_model)]


def _describe_axes(model):
    return [f"{a.name}{a.edges[[0, -1]]} ({a.nbin} bins)" for a in model.axes]


def _side_index(azimuth_rad):
    """Index in AZIMUTH_SIDES of the side of an azimuth (the collection's rule)."""
    return AZIMUTH_SIDES.index(BackgroundCollectionZenithSplitAzimuth.side(np.degrees(azimuth_rad)))
