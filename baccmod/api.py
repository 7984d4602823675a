"""Public creators of stacked background models (BAccMod-compatible names).

``RadialAcceptanceMapCreator`` builds a ``Background2D`` (energy x offset);
``Grid3DAcceptanceMapCreator`` a ``Background3D`` (energy x fov_lon x fov_lat, AltAz-aligned).
Both read each run once into arrays (``baccmod.adapters``), accumulate counts and exposure in
``baccmod.core`` and wrap the rate into a gammapy IRF. See ``baccmod.core.rate`` for the
definitions.
"""
import logging
import numbers

import numpy as np
from astropy import units as u

from .adapters.exclusion import excluded_areas
from .adapters.irf import background_2d, background_3d, fov_axes
from .adapters.observation import run_arrays
from .collection import (AZIMUTH_SIDES, BackgroundCollectionZenith,
                         BackgroundCollectionZenithSplitAzimuth)
from .compat import CreatorAttributes
from .core.binned import ZenithBinnedAccumulator, check_binning_method
from .core.model import (TEV_TO_MEV, GridAccumulator, RadialAccumulator, RunSummary,
                         model_rate)
from .core.split import azimuth_at, cos_zenith_at, split_run
from .core.zenith import angle_crossing_times, edge_crossing_times, fine_cos_zenith_edges
from .core.zenith_interpolation import check_interpolation_kind
from .errors import BaccmodTypeError, BaccmodValueError
from .per_run import SIDE_BOUNDARIES, per_run_models
from .progress import progress

log = logging.getLogger(__name__)


#: Options of BAccMod that belong to features not built yet, with their neutral values.
_NOT_YET_IMPLEMENTED = {
    "dynamic_energy_axis": False,
    "dynamic_energy_axis_target_statistics": 500,
    "dynamic_energy_axis_maximum_wideness_bin": 0.5,
    "dynamic_energy_axis_merge_zeros_low_energy": False,
    "dynamic_energy_axis_merge_zeros_high_energy": False,
    "method": "stack",
    "fit_fnc": "gaussian2d",
    "fit_seeds": None,
    "fit_bounds": None,
}

#: Seed names of options -> their BAccMod 0.4 names.
_ALIASES = {"interpolation_type": "interpolation_zenith_type",
            "activate_interpolation_cleaning": "activate_interpolation_zenith_cleaning"}


def _same(value, default):
    try:
        return bool(np.all(value == default))
    except Exception:
        return False


class _AcceptanceMapCreator(CreatorAttributes):
    """Shared validation and orchestration of the creators (BAccMod's
    ``BaseAcceptanceMapCreator``)."""

    def __init__(self, energy_axis, offset_axis, oversample_map=10, energy_axis_computation=None,
                 exclude_regions=None, location=None, max_fraction_pixel_rotation_fov=0.5,
                 time_resolution=0.1 * u.s, cos_zenith_binning_method="min_livetime",
                 cos_zenith_binning_parameter_value=3600, initial_cos_zenith_binning=0.01,
                 max_angular_separation_wobble=0.4 * u.deg, zenith_binning_run_splitting=False,
                 use_mini_irf_computation=False, mini_irf_time_resolution=1.0 * u.min,
                 azimuth_east_west_splitting=False, interpolation_zenith_type="linear",
                 activate_interpolation_zenith_cleaning=False,
                 interpolation_cleaning_energy_relative_threshold=1e-4,
                 interpolation_cleaning_spatial_relative_threshold=1e-2,
                 min_run_per_cos_zenith_bin=None, verbose=False, **options):
        for alias, name in _ALIASES.items():
            if alias in options:
                value = options.pop(alias)
                if name == "interpolation_zenith_type":
                    interpolation_zenith_type = value
                else:
                    activate_interpolation_zenith_cleaning = value
        for name, value in options.items():
            if name not in _NOT_YET_IMPLEMENTED:
                raise BaccmodTypeError(f"unknown option {name!r} for {type(self).__name__}.")
            if not _same(value, _NOT_YET_IMPLEMENTED[name]):
                raise NotImplementedError(
                    f"option {name}={value!r} is not implemented yet in baccmod; leave it at "
                    f"its default ({_NOT_YET_IMPLEMENTED[name]!r}).")
        self.energy_axis = _check_energy_axis(energy_axis, "energy_axis")
        self.energy_axis_computation = (
            self.energy_axis if energy_axis_computation is None
            else _check_energy_axis(energy_axis_computation, "energy_axis_computation"))
        _check_covers(self.energy_axis_computation, self.energy_axis)
        self.offset_axis = self._check_offset_axis(offset_axis)
        if isinstance(oversample_map, bool) or not isinstance(oversample_map, numbers.Integral) \
                or oversample_map < 1:
            raise BaccmodValueError(f"oversample_map must be an integer >= 1, got "
                                    f"{oversample_map!r}.")
        self.oversample_map = int(oversample_map)
        self.exclude_regions = [] if exclude_regions is None else exclude_regions
        self._areas = excluded_areas(exclude_regions)
        self.location = location
        if not 0 < float(max_fraction_pixel_rotation_fov) <= 1:
            raise BaccmodValueError("max_fraction_pixel_rotation_fov must be in (0, 1].")
        self.max_fraction_pixel_rotation_fov = float(max_fraction_pixel_rotation_fov)
        self.time_resolution = u.Quantity(time_resolution, u.s)
        if min_run_per_cos_zenith_bin is not None:
            cos_zenith_binning_method = "min_n_observation"
            cos_zenith_binning_parameter_value = min_run_per_cos_zenith_bin
        self.cos_zenith_binning_method = check_binning_method(cos_zenith_binning_method)
        self.cos_zenith_binning_parameter_value = _positive(
            cos_zenith_binning_parameter_value, "cos_zenith_binning_parameter_value")
        self.initial_cos_zenith_binning = float(initial_cos_zenith_binning)
        self._fine_cos_zenith_edges = fine_cos_zenith_edges(self.initial_cos_zenith_binning)
        self.max_angular_separation_wobble = u.Quantity(max_angular_separation_wobble, u.deg)
        self.zenith_binning_run_splitting = bool(zenith_binning_run_splitting)
        self.use_mini_irf_computation = bool(use_mini_irf_computation)
        self.mini_irf_time_resolution = u.Quantity(mini_irf_time_resolution, u.s)
        _positive(self.mini_irf_time_resolution.value, "mini_irf_time_resolution")
        self.azimuth_east_west_splitting = bool(azimuth_east_west_splitting)
        self.interpolation_zenith_type = check_interpolation_kind(interpolation_zenith_type,
                                                                  "interpolation_zenith_type")
        self.activate_interpolation_zenith_cleaning = activate_interpolation_zenith_cleaning
        self.interpolation_cleaning_energy_relative_threshold = \
            interpolation_cleaning_energy_relative_threshold
        self.interpolation_cleaning_spatial_relative_threshold = \
            interpolation_cleaning_spatial_relative_threshold
        # the zenith collections validate their interpolation settings: check them now
        BackgroundCollectionZenith(**self._collection_settings())
        self.verbose = bool(verbose)
        self.counts = None
        self.exposure = None
        self.livetime = None
        self.zenith_bins = None
        self.normalisation_table = None

    @staticmethod
    def _check_offset_axis(axis):
        _check_axis_type(axis, "offset_axis")
        if not axis.unit.is_equivalent(u.deg):
            raise BaccmodValueError(f"offset_axis must have angular units, not {axis.unit}.")
        if not np.isclose(axis.edges[0].to_value(u.deg), 0.0, atol=1e-9):
            raise BaccmodValueError(f"offset_axis must start at 0, it starts at "
                                    f"{axis.edges[0]}.")
        return axis

    def create_acceptance_map(self, observations):
        """Build the stacked model from the runs (a gammapy ``Observations`` or iterable of them)."""
        observations = _non_empty(observations, "observations")
        accumulator = self._accumulator()
        for obs in progress(observations, desc="runs"):
            accumulator.add(self._read(obs), self._areas)
        cube = accumulator.result()
        self.counts = cube.counts
        self.livetime = cube.livetime * u.s
        self.exposure = self._output_exposure(accumulator.spatial_exposure)
        return self._wrap(model_rate(cube, self._output_edges()))

    def create_model(self, observations):
        """BAccMod 0.4 name of :meth:`create_acceptance_map`."""
        return self.create_acceptance_map(observations)

    def create_model_cos_zenith_binned(self, observations):
        """Models in cos(zenith) bins (see the binning options), as a
        :class:`~baccmod.collection.BackgroundCollectionZenith` (or, with
        ``azimuth_east_west_splitting``, a ``BackgroundCollectionZenithSplitAzimuth``)."""
        observations = _non_empty(observations, "observations")
        return self._scan(observations, build="binned")[0]

    def create_acceptance_model(self, off_observations, zenith_binning=False):
        """BAccMod 0.4: a model from (OFF) runs; a zenith collection when ``zenith_binning``."""
        off_observations = _non_empty(off_observations, "off_observations")
        if zenith_binning:
            return self.create_model_cos_zenith_binned(off_observations)
        if self.azimuth_east_west_splitting:
            return self._scan(off_observations, build="azimuth")[0]
        return self.create_acceptance_map(off_observations)

    def create_acceptance_map_per_observation(self, observations, zenith_binning=False,
                                              zenith_interpolation=False,
                                              runwise_normalisation=True, off_observations=None,
                                              base_model=None):
        """One model per run: ``dict`` obs_id -> Background2D/3D.

        The base model is ``base_model`` if given, else built from ``off_observations`` if
        given, else from ``observations``: stacked, or binned in cos(zenith) with
        ``zenith_binning`` (implied by ``zenith_interpolation``). Each run then gets the base
        model at its zenith (the closest bin's, or interpolated in cos zenith with
        ``zenith_interpolation``; with ``use_mini_irf_computation`` the duration-weighted mean
        over pieces of the run; with azimuth splitting the time-weighted mean of its east and
        west parts), scaled by its run-wise norm (``runwise_normalisation``), reported in
        :attr:`normalisation_table`.
        """
        observations = _non_empty(observations, "observations")
        binned = bool(zenith_binning or zenith_interpolation)
        build = ("binned" if binned else "azimuth" if self.azimuth_east_west_splitting
                 else "stacked")
        if base_model is not None:
            if off_observations is not None:
                log.warning("both base_model and off_observations are given: base_model is used "
                            "and off_observations are ignored.")
            base = self._check_base_model(base_model)
            summaries = self._scan(observations, build=None, summarize=True)[1]
        elif off_observations is not None:
            base = self._scan(_non_empty(off_observations, "off_observations"), build=build)[0]
            summaries = self._scan(observations, build=None, summarize=True)[1]
        else:
            base, summaries = self._scan(observations, build=build, summarize=True)
        return self._per_run_models(base, summaries, bool(zenith_interpolation),
                                    bool(runwise_normalisation))

    def plot_zenith_binning(self, ax=None):
        """Bar plot of the livetime per cos-zenith bin of the last binned model (per azimuth
        side and wobble when those apply); returns the matplotlib axes."""
        if not self.zenith_bins:
            raise BaccmodValueError("no zenith binning yet: build a zenith-binned model first.")
        import matplotlib.pyplot as plt
        ax = ax or plt.figure().gca()
        sides = sorted({b.side for b in self.zenith_bins})
        wobbles = sorted({k for b in self.zenith_bins for k in b.livetime_per_wobble})
        for side in sides:
            bins = [b for b in self.zenith_bins if b.side == side]
            bottom = np.zeros(len(bins))
            for wobble in wobbles:
                hours = np.array([b.livetime_per_wobble.get(wobble, 0.0) for b in bins]) / 3600
                label = " ".join(filter(None, [
                    AZIMUTH_SIDES[side] if self.azimuth_east_west_splitting else "",
                    f"wobble {wobble}" if len(wobbles) > 1 else ""])) or None
                ax.bar([b.cos_zenith_low for b in bins], hours, bottom=bottom,
                       width=[b.cos_zenith_high - b.cos_zenith_low for b in bins], align="edge",
                       alpha=0.5 if len(sides) > 1 else 1.0, edgecolor="k", label=label)
                bottom += hours
        ax.set_xlabel("cos(zenith)")
        ax.set_ylabel("livetime [h]")
        if len(sides) > 1 or len(wobbles) > 1:
            ax.legend()
        return ax

    def _scan(self, observations, build, summarize=False):
        """Read every run once; build the base model (``build``: "stacked", "binned",
        "azimuth" or None) and/or each run's summary for the per-run models."""
        template = self._accumulator()
        split = build in ("binned", "azimuth")
        binned = ZenithBinnedAccumulator(template, self._fine_cos_zenith_edges) if split else None
        norm_range = tuple(self._output_edges()[[0, -1]]) if summarize else None
        summaries = []
        for obs in progress(observations, desc="runs"):
            run = self._read(obs, track=split or summarize)
            pieces = split_run(run, self._model_cut_times(run)) if split else [(run, 0.0)]
            whole = None
            if summarize and len(pieces) > 1:
                whole = template.contribution(run, self._areas, norm_range)
            position = binned.add_run(run.obs_id, run.pointing_lon, run.pointing_lat) \
                if split else None
            for piece, mid_time in pieces:
                part = template.contribution(piece, self._areas,
                                             norm_range if whole is None else None)
                if whole is None:
                    whole = part
                if split:
                    side = _side_index(azimuth_at(run, mid_time)) \
                        if self.azimuth_east_west_splitting else 0
                    binned.add(part, float(cos_zenith_at(run, mid_time)), position, side)
                elif build == "stacked":
                    template.add_contribution(part)
            if summarize:
                summaries.append(RunSummary.of(run, whole))
        if build == "stacked":
            cube = template.result()
            self.counts, self.livetime = cube.counts, cube.livetime * u.s
            self.exposure = self._output_exposure(template.spatial_exposure)
            return self._wrap(model_rate(cube, self._output_edges())), summaries
        if split:
            return self._collection(binned, build), summaries
        return None, summaries

    def _model_cut_times(self, run):
        cuts = []
        if self.zenith_binning_run_splitting:
            cuts.append(edge_crossing_times(run.track_times, run.track_cos_zenith,
                                            self._fine_cos_zenith_edges))
        if self.azimuth_east_west_splitting:
            cuts.append(angle_crossing_times(run.track_times, run.track_azimuth,
                                             SIDE_BOUNDARIES))
        return np.concatenate(cuts) if cuts else np.empty(0)

    def _collection(self, binned, build):
        threshold = self.cos_zenith_binning_parameter_value if build == "binned" else np.inf
        self.zenith_bins = binned.bins(self.cos_zenith_binning_method, threshold,
                                       self.max_angular_separation_wobble.to_value(u.rad))
        self._report_binning()
        settings = self._collection_settings()
        collections = {}
        for b in self.zenith_bins:
            collection = collections.setdefault(b.side, BackgroundCollectionZenith(**settings))
            collection[b.zenith_deg] = self._wrap(model_rate(b.cube, self._output_edges()))
        if not self.azimuth_east_west_splitting:
            return collections[0]
        return BackgroundCollectionZenithSplitAzimuth(
            east=collections.get(0, BackgroundCollectionZenith(**settings)),
            west=collections.get(1, BackgroundCollectionZenith(**settings)))

    def _collection_settings(self):
        return dict(
            interpolation_type=self.interpolation_zenith_type,
            activate_interpolation_cleaning=self.activate_interpolation_zenith_cleaning,
            interpolation_cleaning_energy_relative_threshold=(
                self.interpolation_cleaning_energy_relative_threshold),
            interpolation_cleaning_spatial_relative_threshold=(
                self.interpolation_cleaning_spatial_relative_threshold))

    def _report_binning(self):
        """Log the bins at INFO; with ``verbose`` also print them and draw their livetime."""
        for b in self.zenith_bins:
            side = f" ({AZIMUTH_SIDES[b.side]})" if self.azimuth_east_west_splitting else ""
            wobbles = ", ".join(f"wobble {k}: {t:.0f} s" for k, t in
                                sorted(b.livetime_per_wobble.items()))
            line = (f"zenith bin{side}: cos zenith [{b.cos_zenith_low:.3f}, "
                    f"{b.cos_zenith_high:.3f}), centre {b.zenith_deg:.2f} deg, livetime "
                    f"{b.livetime:.0f} s ({wobbles}), runs {b.obs_ids}")
            log.info(line)
            if self.verbose:
                print(line)
        if self.verbose:
            self.plot_zenith_binning()

    def _per_run_models(self, base, summaries, interpolate, normalise):
        mini_irf = self.mini_irf_time_resolution.to_value(u.s) \
            if self.use_mini_irf_computation else None
        models, self.normalisation_table = per_run_models(
            base, summaries, self._wrap, self._output_edges(), interpolate, normalise, mini_irf)
        return models

    def _check_base_model(self, base_model):
        expected = self._wrap(np.zeros(self._rate_shape()))
        if isinstance(base_model, BackgroundCollectionZenithSplitAzimuth):
            models = list(base_model.east.values()) + list(base_model.west.values())
        elif isinstance(base_model, BackgroundCollectionZenith):
            models = list(base_model.values())
        else:
            models = [base_model]
        if not models:
            raise BaccmodValueError("base_model holds no model.")
        for model in models:
            if type(model) is not type(expected):
                raise BaccmodTypeError(
                    f"base_model must hold {type(expected).__name__} models for "
                    f"{type(self).__name__}, not {type(model).__name__}.")
            if model.axes.names != expected.axes.names or not all(
                    a.is_allclose(b) for a, b in zip(model.axes, expected.axes)):
                raise BaccmodValueError(
                    "base_model axes differ from the creator's: "
                    f"{[a.name + str(a.edges[[0, -1]]) + f' ({a.nbin} bins)' for a in model.axes]}"
                    f" vs {[a.name + str(a.edges[[0, -1]]) + f' ({a.nbin} bins)' for a in expected.axes]}.")
        return base_model

    def _output_edges(self):
        return self.energy_axis.edges.to_value(u.TeV)

    def _output_exposure(self, spatial_exposure):
        de_mev = np.diff(self._output_edges()) * TEV_TO_MEV
        return de_mev.reshape((-1,) + (1,) * spatial_exposure.ndim) * spatial_exposure

    def _rate_shape(self):
        spatial = self._accumulator().spatial_shape
        return (self.energy_axis.nbin,) + spatial

    def _energy_edges(self):
        return self.energy_axis_computation.edges.to_value(u.TeV)

    def _offset_edges(self):
        return self.offset_axis.edges.to_value(u.rad)


class RadialAcceptanceMapCreator(_AcceptanceMapCreator):
    """Radial (energy x offset) background model from runs, as a gammapy ``Background2D``.

    Parameters
    ----------
    energy_axis : gammapy.maps.MapAxis
        Energy axis of the model (named ``energy``).
    offset_axis : gammapy.maps.MapAxis
        Offset axis, starting at 0.
    oversample_map : int
        Sub-bins per bin side used to integrate the unexcluded fraction.
    energy_axis_computation : gammapy.maps.MapAxis, optional
        Compute on this (possibly irregular) energy axis, then interpolate the rate in log
        energy / log rate onto ``energy_axis``.
    exclude_regions : SkyRegion, WcsNDMap or list of them, optional
        Sky areas (e.g. gamma-ray sources) to exclude.
    location : astropy.coordinates.EarthLocation, optional
        Observatory site; by default read from each run.
    cos_zenith_binning_method : str
        ``min_livetime``, ``min_livetime_per_wobble``, ``min_n_observation`` or
        ``min_n_observation_per_wobble``: what a zenith bin needs (per wobble position).
    cos_zenith_binning_parameter_value : float
        That minimum: livetime in s, or number of runs (run pieces when runs are split).
    initial_cos_zenith_binning : float
        Width of the fine bins in cos(zenith), in (0, 1). Fine bins are walked from the
        largest zenith angle towards zenith; a bin closes as soon as it holds the minimum
        (for every wobble with ``_per_wobble``); a remainder joins the last closed bin. A run
        belongs to the bin of its cos(zenith) at mid-time; a bin's zenith is the arccos of the
        livetime-weighted mean cos(zenith) of its runs.
    min_run_per_cos_zenith_bin : int, optional
        Seed name: ``min_n_observation`` with this number.
    max_angular_separation_wobble : Angle
        Pointings closer than this to a wobble position's mean direction belong to it.
    zenith_binning_run_splitting : bool
        Split runs where the pointing crosses a fine-bin edge; each piece goes to its own bin
        with its own livetime.
    use_mini_irf_computation, mini_irf_time_resolution : bool, Quantity
        Per-run models as the duration-weighted mean of the model at the mid-time zenith of
        equal pieces of the run no longer than the resolution.
    azimuth_east_west_splitting : bool
        Separate models for azimuth [0, 180) deg (east) and [180, 360) deg (west); runs that
        cross are split at the crossing.
    interpolation_zenith_type : str
        ``linear`` (rates) or ``log`` (log10 rates) interpolation in cos(zenith); seed name
        ``interpolation_type``.
    activate_interpolation_zenith_cleaning : bool
        Zero interpolated bins unsupported by their neighbours (seed name
        ``activate_interpolation_cleaning``), with
        ``interpolation_cleaning_energy_relative_threshold`` and
        ``interpolation_cleaning_spatial_relative_threshold``.
    verbose : bool
        Print the zenith bins (edges, centre, livetime per wobble, runs) and draw their
        livetime (:meth:`plot_zenith_binning`); the bins are always logged at INFO.

    Attributes
    ----------
    counts, exposure, livetime
        Of the last stacked model (exposure in s MeV sr on the output energy axis).
    zenith_bins : list of baccmod.core.binned.ZenithBin
        Of the last zenith-binned model.
    normalisation_table : astropy.table.Table
        Per run of the last per-run call: OBS_ID, NORM, NORM_ERR (Poisson), COUNTS (unexcluded
        events within the maximum offset and the energy range), PREDICTED (by the model
        before normalisation, as gammapy predicts it: see :mod:`baccmod.core.normalisation`;
        NORM = COUNTS / PREDICTED), PREDICTED_BIN_MEAN (the model's own prediction: rate x
        livetime x dE x dOmega x unexcluded fraction), FITTED (False when the norm was kept
        at 1).
    """

    def _accumulator(self):
        return RadialAccumulator(self._energy_edges(), self._offset_edges(), self.oversample_map)

    def _read(self, obs, track=False):
        return run_arrays(obs, self.location, track=track)

    def _wrap(self, rate):
        return background_2d(rate, self.energy_axis, self.offset_axis)


class Grid3DAcceptanceMapCreator(_AcceptanceMapCreator):
    """3D background model (energy x fov_lon x fov_lat, AltAz-aligned) as a ``Background3D``.

    The spatial axes mirror the offset axis: edges from -max to +max offset with the offset
    bin width. Parameters as :class:`RadialAcceptanceMapCreator`, plus
    ``max_fraction_pixel_rotation_fov``: the largest rotation of the field between time nodes
    of the exclusion integration, as a fraction of a sub-pixel at the corner of the grid.
    """

    @staticmethod
    def _check_offset_axis(axis):
        axis = _AcceptanceMapCreator._check_offset_axis(axis)
        widths = axis.edges[1:] - axis.edges[:-1]
        if not np.allclose(widths.to_value(u.deg), widths[0].to_value(u.deg), rtol=1e-6):
            raise BaccmodValueError("offset_axis must be regular for a 3D model: its bins "
                                    "define the fov_lon/fov_lat grid.")
        return axis

    def _accumulator(self):
        lon_axis, lat_axis = fov_axes(self.offset_axis)
        return GridAccumulator(self._energy_edges(), lon_axis.edges.to_value(u.rad),
                               lat_axis.edges.to_value(u.rad), self.oversample_map)

    def _read(self, obs, track=False):
        edges = self._offset_edges()
        sub_pixel = (edges[1] - edges[0]) / self.oversample_map
        corner = np.sqrt(2) * edges[-1]
        return run_arrays(obs, self.location, fov_edges=edges[-1], areas=self._areas,
                          rotation_limit=self.max_fraction_pixel_rotation_fov * sub_pixel / corner,
                          min_node_duration=self.time_resolution.to_value(u.s), track=track)

    def _wrap(self, rate):
        return background_3d(rate, self.energy_axis, *fov_axes(self.offset_axis))


def _check_axis_type(axis, name):
    if not (hasattr(axis, "edges") and hasattr(axis, "name")):
        raise BaccmodTypeError(f"{name} must be a gammapy MapAxis, not {type(axis).__name__}.")


def _check_energy_axis(axis, name):
    _check_axis_type(axis, name)
    if axis.name != "energy":
        raise BaccmodValueError(f"{name} must be named 'energy', not {axis.name!r} "
                                "(MapAxis.from_energy_bounds(..., name='energy')).")
    if not axis.unit.is_equivalent(u.TeV):
        raise BaccmodValueError(f"{name} must have energy units, not {axis.unit!r}.")
    if not np.all(axis.edges.value > 0):
        raise BaccmodValueError(f"{name} edges must be positive energies.")
    return axis


def _check_covers(computation, target):
    lo, hi = computation.edges[[0, -1]].to_value(u.TeV)
    t_lo, t_hi = target.edges[[0, -1]].to_value(u.TeV)
    if t_lo < lo * (1 - 1e-9) or t_hi > hi * (1 + 1e-9):
        raise BaccmodValueError("energy_axis_computation must cover energy_axis: "
                                f"[{lo}, {hi}] TeV does not contain [{t_lo}, {t_hi}] TeV.")


def _non_empty(observations, name):
    observations = list(observations) if observations is not None else []
    if not observations:
        raise BaccmodValueError(f"no {name} given: pass at least one run.")
    return observations


def _positive(value, name):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise BaccmodTypeError(f"{name} must be a number, not {value!r}.") from None
    if not value > 0 or not np.isfinite(value):
        raise BaccmodValueError(f"{name} must be a positive number, got {value!r}.")
    return value


def _side_index(azimuth_rad):
    """Index in AZIMUTH_SIDES of the side of an azimuth (the collection's rule)."""
    return AZIMUTH_SIDES.index(BackgroundCollectionZenithSplitAzimuth.side(np.degrees(azimuth_rad)))
