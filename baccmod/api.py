"""Public creators of stacked background models (BAccMod-compatible names).

``RadialAcceptanceMapCreator`` builds a ``Background2D`` (energy x offset);
``Grid3DAcceptanceMapCreator`` a ``Background3D`` (energy x fov_lon x fov_lat, AltAz-aligned).
Both read each run once into arrays (``baccmod.adapters``), accumulate counts and exposure in
``baccmod.core`` and wrap the rate into a gammapy IRF. See ``baccmod.core.rate`` for the
definitions.
"""
import logging

import numpy as np
from astropy import units as u

from .adapters.exclusion import excluded_areas
from .adapters.irf import RATE_UNIT, background_2d, background_3d, check_model_rates, fov_axes
from .adapters.observation import run_arrays
from .adapters.run_list import observation_list
from .collection import (AZIMUTH_SIDES, BackgroundCollectionZenith,
                         BackgroundCollectionZenithSplitAzimuth)
from .compat import CreatorAttributes
from .core.binned import BINNING_METHODS, ZenithBinnedAccumulator, check_binning_method
from .core.exclusion import grid_sub_pixel_count, ring_sub_cell_count
from .core.fov import EARTH_ROTATION_RATE
from .core.model import (TEV_TO_MEV, GridAccumulator, RadialAccumulator, RunSummary,
                         model_rate)
from .core.split import azimuth_at, cos_zenith_at, equal_piece_count, split_run
from .core.zenith import angle_crossing_times, edge_crossing_times, fine_cos_zenith_edges
from .core.zenith_interpolation import check_interpolation_kind
from .errors import BaccmodTypeError, BaccmodValueError
from .limits import (MAX_PIECES_PER_RUN, MAX_SUB_PIXELS, check_fine_bin_width,
                     check_pieces_per_hour, check_run_exclusion_work, check_run_pieces,
                     check_sub_pixels)
from .options import check_flag, check_location, check_number, check_quantity
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
        self.oversample_map = check_number(oversample_map, "oversample_map", low=1,
                                           low_open=False, integer=True)
        self.exclude_regions = [] if exclude_regions is None else exclude_regions
        self._areas = excluded_areas(exclude_regions)
        self.location = check_location(location)
        self.max_fraction_pixel_rotation_fov = check_number(
            max_fraction_pixel_rotation_fov, "max_fraction_pixel_rotation_fov", low=0.0,
            high=1.0, high_open=False)
        self.time_resolution = check_quantity(time_resolution, "time_resolution", u.s,
                                              "0.1 * u.s")
        if min_run_per_cos_zenith_bin is not None:
            cos_zenith_binning_method = "min_n_observation"
            cos_zenith_binning_parameter_value = min_run_per_cos_zenith_bin
        self.cos_zenith_binning_method = _check_method(cos_zenith_binning_method)
        self.cos_zenith_binning_parameter_value = _check_threshold(
            cos_zenith_binning_parameter_value, self.cos_zenith_binning_method)
        self.initial_cos_zenith_binning = check_fine_bin_width(check_number(
            initial_cos_zenith_binning, "initial_cos_zenith_binning", low=0.0, high=1.0))
        self._fine_cos_zenith_edges = fine_cos_zenith_edges(self.initial_cos_zenith_binning)
        self.max_angular_separation_wobble = check_quantity(
            max_angular_separation_wobble, "max_angular_separation_wobble", u.deg,
            "0.4 * u.deg")
        self.zenith_binning_run_splitting = check_flag(zenith_binning_run_splitting,
                                                       "zenith_binning_run_splitting")
        self.use_mini_irf_computation = check_flag(use_mini_irf_computation,
                                                   "use_mini_irf_computation")
        self.mini_irf_time_resolution = check_quantity(
            mini_irf_time_resolution, "mini_irf_time_resolution", u.s, "1 * u.min")
        self.azimuth_east_west_splitting = check_flag(azimuth_east_west_splitting,
                                                      "azimuth_east_west_splitting")
        self.interpolation_zenith_type = check_interpolation_kind(interpolation_zenith_type,
                                                                  "interpolation_zenith_type")
        self.activate_interpolation_zenith_cleaning = check_flag(
            activate_interpolation_zenith_cleaning, "activate_interpolation_zenith_cleaning")
        self.interpolation_cleaning_energy_relative_threshold = \
            interpolation_cleaning_energy_relative_threshold
        self.interpolation_cleaning_spatial_relative_threshold = \
            interpolation_cleaning_spatial_relative_threshold
        # the zenith collections validate their interpolation settings: check them now
        BackgroundCollectionZenith(**self._collection_settings())
        self.verbose = check_flag(verbose, "verbose")
        self._check_work_limits()
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

    def _check_work_limits(self):
        """Refuse options whose work exceeds :mod:`baccmod.limits` whatever the runs."""
        self._check_sub_pixels()
        if self.use_mini_irf_computation:
            check_pieces_per_hour(
                3600.0 / self.mini_irf_time_resolution.to_value(u.s),
                "use_mini_irf_computation with mini_irf_time_resolution="
                f"{self.mini_irf_time_resolution:g}",
                f"raise mini_irf_time_resolution to at least {3600.0 / MAX_PIECES_PER_RUN:g} s")
        if self.zenith_binning_run_splitting:
            # cos(zenith) of a tracked pointing changes by at most the Earth rotation rate
            check_pieces_per_hour(
                EARTH_ROTATION_RATE * 3600.0 / self.initial_cos_zenith_binning + 1,
                "zenith_binning_run_splitting with initial_cos_zenith_binning="
                f"{self.initial_cos_zenith_binning}", "raise initial_cos_zenith_binning to at "
                f"least {EARTH_ROTATION_RATE * 3600.0 / (MAX_PIECES_PER_RUN - 1):.2g}")

    def _check_run_work(self, run, n_pieces, per_run_model=False):
        """Refuse a run (once read, before its heavy work) whose work exceeds the limits of
        :mod:`baccmod.limits`; ``n_pieces``: the pieces it is cut into (1 when it is not);
        ``per_run_model``: the run gets its own model (made of mini-IRF pieces)."""
        check_run_pieces(run.obs_id, n_pieces, "zenith_binning_run_splitting or "
                         "azimuth_east_west_splitting", "raise initial_cos_zenith_binning")
        if self.use_mini_irf_computation and per_run_model:
            check_run_pieces(run.obs_id, equal_piece_count(
                run, self.mini_irf_time_resolution.to_value(u.s)),
                f"mini_irf_time_resolution={self.mini_irf_time_resolution:g}",
                "raise mini_irf_time_resolution")

    def create_acceptance_map(self, observations):
        """Build the stacked model from the runs (a gammapy ``Observations`` or a list of
        ``Observation``, each run once)."""
        observations = observation_list(observations, "observations")
        accumulator = self._accumulator()
        for obs in progress(observations, desc="runs"):
            run = self._read(obs)
            self._check_run_work(run, 1)
            accumulator.add(run, self._areas)
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
        observations = observation_list(observations, "observations")
        return self._scan(observations, build="binned")[0]

    def create_acceptance_model(self, off_observations, zenith_binning=False):
        """BAccMod 0.4: a model from (OFF) runs; a zenith collection when ``zenith_binning``."""
        off_observations = observation_list(off_observations, "off_observations")
        zenith_binning = check_flag(zenith_binning, "zenith_binning")
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
        observations = observation_list(observations, "observations")
        zenith_binning = check_flag(zenith_binning, "zenith_binning")
        zenith_interpolation = check_flag(zenith_interpolation, "zenith_interpolation")
        runwise_normalisation = check_flag(runwise_normalisation, "runwise_normalisation")
        binned = zenith_binning or zenith_interpolation
        build = ("binned" if binned else "azimuth" if self.azimuth_east_west_splitting
                 else "stacked")
        if base_model is not None:
            if off_observations is not None:
                log.warning("both base_model and off_observations are given: base_model is used "
                            "and off_observations are ignored.")
            base = self._check_base_model(base_model)
            summaries = self._scan(observations, build=None, summarize=True)[1]
        elif off_observations is not None:
            base = self._scan(observation_list(off_observations, "off_observations"),
                              build=build)[0]
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
            cuts = self._model_cut_times(run) if split else np.empty(0)
            self._check_run_work(run, cuts.size + 1, per_run_model=summarize)
            pieces = split_run(run, cuts) if split else [(run, 0.0)]
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
        """Refuse a base model the creator's per-run models cannot be made from, naming the
        model (zenith, side) and what is wrong."""
        expected = self._wrap(np.ones(self._rate_shape()))
        models = _labelled_models(base_model)
        if not models:
            raise BaccmodValueError("base_model holds no model.")
        for name, model in models:
            if type(model) is not type(expected):
                raise BaccmodTypeError(
                    f"base_model must hold {type(expected).__name__} models for "
                    f"{type(self).__name__}, not {type(model).__name__} ({name}).")
            if model.axes.names != expected.axes.names or not all(
                    a.is_allclose(b) for a, b in zip(model.axes, expected.axes)):
                raise BaccmodValueError(
                    f"base_model axes differ from the creator's ({name}): "
                    f"{_describe_axes(model)} vs {_describe_axes(expected)}.")
            alignment = getattr(model, "fov_alignment", None)
            if alignment != getattr(expected, "fov_alignment", None):
                raise BaccmodValueError(
                    f"{name} is {alignment.name}-aligned; {type(self).__name__} makes "
                    f"{expected.fov_alignment.name}-aligned models and turning a RADEC model "
                    "into one needs a rotation per run that baccmod does not do: give an "
                    "ALTAZ-aligned Background3D (e.g. built by Grid3DAcceptanceMapCreator).")
            if not u.Unit(model.unit).is_equivalent(RATE_UNIT):
                raise BaccmodValueError(f"{name} has unit {model.unit}, not a background rate "
                                        "(s-1 MeV-1 sr-1 or equivalent).")
            check_model_rates(model, name)
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
        Sub-bins per bin side (>= 1) used to integrate the unexcluded fraction; the sub-cells
        (radial, with exclusions) or sub-pixels (3D) are limited to
        :data:`baccmod.limits.MAX_SUB_PIXELS`.
    energy_axis_computation : gammapy.maps.MapAxis, optional
        Compute on this (possibly irregular) energy axis, then interpolate the rate in log
        energy / log rate onto ``energy_axis``.
    exclude_regions : SkyRegion, WcsNDMap or list of them, optional
        Sky areas (e.g. gamma-ray sources) to exclude: regions with an area and finite
        parameters, boolean masks (True = keep) with a valid celestial WCS.
    location : astropy.coordinates.EarthLocation, optional
        Observatory site (one, finite); by default read from each run.
    cos_zenith_binning_method : str
        ``min_livetime``, ``min_livetime_per_wobble``, ``min_n_observation`` or
        ``min_n_observation_per_wobble``: what a zenith bin needs (per wobble position).
    cos_zenith_binning_parameter_value : float or Quantity
        That minimum: livetime in s (or a time Quantity), or number of runs (a whole number;
        run pieces when runs are split).
    initial_cos_zenith_binning : float
        Width of the fine bins in cos(zenith), in (0, 1), at least
        1 / :data:`~baccmod.limits.MAX_FINE_COS_ZENITH_BINS` (with
        ``zenith_binning_run_splitting``, at least 7.3e-5: at most
        :data:`~baccmod.limits.MAX_PIECES_PER_RUN` pieces per hour). Fine bins are walked from the
        largest zenith angle towards zenith; a bin closes as soon as it holds the minimum
        (for every wobble with ``_per_wobble``); a remainder joins the last closed bin. A run
        belongs to the bin of its cos(zenith) at mid-time; a bin's zenith is the arccos of the
        livetime-weighted mean cos(zenith) of its runs.
    min_run_per_cos_zenith_bin : int, optional
        Seed name: ``min_n_observation`` with this number.
    max_angular_separation_wobble : Quantity
        Angle (e.g. ``0.4 * u.deg``; a plain number is refused): pointings closer than this to
        a wobble position's mean direction belong to it.
    zenith_binning_run_splitting : bool
        Split runs where the pointing crosses a fine-bin edge; each piece goes to its own bin
        with its own livetime.
    use_mini_irf_computation, mini_irf_time_resolution : bool, Quantity
        Per-run models as the duration-weighted mean of the model at the mid-time zenith of
        equal pieces of the run no longer than the resolution (a time, e.g. ``1 * u.min``); at
        most :data:`~baccmod.limits.MAX_PIECES_PER_RUN` pieces per run (so at least 1 s).
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

    def _check_sub_pixels(self):
        """The rings are sub-divided only to integrate exclusions."""
        if not self._areas:
            return
        # a lower bound first: counting builds arrays of oversample_map per ring
        lower = 4 * self.offset_axis.nbin * self.oversample_map ** 2
        check_sub_pixels(lower if lower > MAX_SUB_PIXELS else ring_sub_cell_count(
            self._offset_edges(), self.oversample_map), self.oversample_map)

    def _read(self, obs, track=False):
        return run_arrays(obs, self.location, track=track)

    def _wrap(self, rate):
        return background_2d(rate, self.energy_axis, self.offset_axis)


class Grid3DAcceptanceMapCreator(_AcceptanceMapCreator):
    """3D background model (energy x fov_lon x fov_lat, AltAz-aligned) as a ``Background3D``.

    The spatial axes mirror the offset axis: edges from -max to +max offset with the offset
    bin width. Parameters as :class:`RadialAcceptanceMapCreator`, plus
    ``max_fraction_pixel_rotation_fov`` (in (0, 1]): the largest rotation of the field between
    time nodes of the exclusion integration, as a fraction of a sub-pixel at the corner of the
    grid, and ``time_resolution`` (a time Quantity, default ``0.1 * u.s``): the shortest time
    a node represents. A run whose integration needs more than
    :data:`~baccmod.limits.MAX_SUB_PIXEL_NODES` sub-pixels x (time nodes + pieces) is refused
    when it is read.
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

    def _sub_pixel_count(self):
        lon_axis, lat_axis = fov_axes(self.offset_axis)
        return grid_sub_pixel_count(lon_axis.edges, lat_axis.edges, self.oversample_map)

    def _check_sub_pixels(self):
        """The sub-pixel grid is integrated for exclusions and for the run-wise norms."""
        check_sub_pixels(self._sub_pixel_count(), self.oversample_map)

    def _check_run_work(self, run, n_pieces, per_run_model=False):
        super()._check_run_work(run, n_pieces, per_run_model)
        n_nodes = 0 if run.node_times is None else run.node_times.size
        # without time nodes no exclusion reaches the run: the grid is integrated once
        check_run_exclusion_work(run.obs_id, self._sub_pixel_count(), n_nodes,
                                 n_pieces if n_nodes else 1)

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


def _check_method(method):
    if not isinstance(method, str):
        raise BaccmodTypeError("cos_zenith_binning_method must be a string (one of "
                               f"{', '.join(BINNING_METHODS)}), got {method!r}.")
    return check_binning_method(method)


def _check_threshold(value, method):
    """cos_zenith_binning_parameter_value: a livetime (s, or a time Quantity) or a number of
    runs (a whole number), > 0."""
    name = "cos_zenith_binning_parameter_value"
    livetime = BINNING_METHODS[method][0] == "livetime"
    if livetime and isinstance(value, u.Quantity):
        value = check_quantity(value, name, u.s, "3600 * u.s").value
    return check_number(value, name, low=0.0, integer=not livetime)


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
