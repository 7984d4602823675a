"""Public creators of background models (BAccMod-compatible names, options and defaults).

``RadialAcceptanceMapCreator`` builds a ``Background2D`` (energy x offset);
``Grid3DAcceptanceMapCreator`` a ``Background3D`` (energy x fov_lon x fov_lat, AltAz-aligned).
The creators check their options (:mod:`baccmod.creator_options`) and call the functional
entry points of :mod:`baccmod.build`, which custom pipelines can call directly.
"""
import logging

from astropy import units as u

from .adapters.run_list import observation_list
from .build import (build_background, build_per_run_models, build_zenith_collection)
from .compat import CreatorAttributes
from .creator_options import checked_options, model_spec
from .errors import BaccmodTypeError, BaccmodValueError
from .estimate import energy_axis_of
from .executors import EXECUTION_OPTIONS, execution
from .fitting import fit_residuals, legacy_fit
from .geometry import GridGeometry, RadialGeometry
from .options import check_flag
from .zenith_report import plot_zenith_binning, report_zenith_bins

log = logging.getLogger(__name__)


class _AcceptanceMapCreator(CreatorAttributes):
    """Shared options and calls of the creators."""

    def __init__(self, energy_axis, offset_axis, oversample_map=10,
                 energy_axis_computation=None, exclude_regions=None, dynamic_energy_axis=False,
                 dynamic_energy_axis_target_statistics=500,
                 dynamic_energy_axis_maximum_wideness_bin=0.5,
                 dynamic_energy_axis_merge_zeros_low_energy=False,
                 dynamic_energy_axis_merge_zeros_high_energy=False,
                 cos_zenith_binning_method="min_livetime", cos_zenith_binning_parameter_value=3600,
                 initial_cos_zenith_binning=0.01, max_angular_separation_wobble=0.4 * u.deg,
                 zenith_binning_run_splitting=False, max_fraction_pixel_rotation_fov=0.5,
                 time_resolution=0.1 * u.s, use_mini_irf_computation=False,
                 mini_irf_time_resolution=1.0 * u.min, azimuth_east_west_splitting=False,
                 interpolation_zenith_type="linear", activate_interpolation_zenith_cleaning=False,
                 interpolation_cleaning_energy_relative_threshold=1e-4,
                 interpolation_cleaning_spatial_relative_threshold=1e-2, *, location=None,
                 min_run_per_cos_zenith_bin=None, verbose=False, add_intermediary_output=False,
                 runwise_normalisation_energy_range=None,
                 runwise_normalisation_method="scale", rate_per="livetime", n_jobs=None,
                 executor=None, cache_dir=None, **options):
        if type(self) is _AcceptanceMapCreator:
            raise BaccmodTypeError("BaseAcceptanceMapCreator is abstract: use "
                                   "RadialAcceptanceMapCreator or Grid3DAcceptanceMapCreator.")
        self._setup(dict(locals()))

    def _setup(self, options):
        extra = options.pop("options")
        for name, value in extra.items():
            if name not in ("interpolation_type", "activate_interpolation_cleaning"):
                raise BaccmodTypeError(f"unknown option {name!r} for {type(self).__name__}.")
            options[name] = value
        options.pop("self", None)
        options.pop("__class__", None)
        where = execution(*(options.pop(name) for name in EXECUTION_OPTIONS))
        checked = checked_options(options, self._regular_offset_axis)
        self.__dict__.update(checked)
        self.base_energy_axis_computation = self.energy_axis_computation
        self._spec = model_spec(checked, self._geometry(checked), self._fit(checked))
        self.counts = self.exposure = self.livetime = self.rate_error = None
        self.fit_result, self.fit_results = None, {}
        self.sq_rel_residuals = fit_residuals([])
        self.zenith_bins = self.normalisation_table = None
        self.products = self.per_run_rate_error = None
        self.n_jobs, self.executor, self.cache_dir = where.n_jobs, where.executor, where.cache_dir

    def create_acceptance_map(self, observations):
        """Build the stacked model from the runs (a gammapy ``Observations`` or a list of
        ``Observation``, each run once)."""
        result = build_background(observations, self._spec, **self._execution_options())
        estimate = result.estimate
        self.counts = estimate.cube.counts
        self.livetime = result.livetime * u.s
        self.exposure = result.exposure
        self.rate_error = estimate.rate_error * u.Unit("s-1 MeV-1 sr-1")
        self.energy_axis_computation = energy_axis_of(estimate.energy_edges_computation,
                                                      self.base_energy_axis_computation)
        self.products = result.products
        self.fit_result, self.sq_rel_residuals = estimate.fit, fit_residuals([estimate])
        return result.model

    def _execution_options(self):
        return {name: getattr(self, name) for name in EXECUTION_OPTIONS}

    def create_model(self, observations):
        """BAccMod 0.4 name of :meth:`create_acceptance_map`."""
        return self.create_acceptance_map(observations)

    def create_model_cos_zenith_binned(self, observations):
        """Models in cos(zenith) bins (see the binning options), as a
        :class:`~baccmod.collection.BackgroundCollectionZenith` (or, with
        ``azimuth_east_west_splitting``, a ``BackgroundCollectionZenithSplitAzimuth``)."""
        return self._collection(build_zenith_collection(observations, self._spec,
                                                        **self._execution_options()))

    def create_acceptance_model(self, off_observations, zenith_binning=False):
        """BAccMod 0.4: a model from (OFF) runs; a zenith collection when ``zenith_binning``."""
        off_observations = observation_list(off_observations, "off_observations")
        if check_flag(zenith_binning, "zenith_binning"):
            return self.create_model_cos_zenith_binned(off_observations)
        if self.azimuth_east_west_splitting:
            return self._collection(build_zenith_collection(
                off_observations, self._spec, zenith_binning=False, **self._execution_options()))
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
        flags = [check_flag(value, name) for value, name in (
            (zenith_binning, "zenith_binning"), (zenith_interpolation, "zenith_interpolation"),
            (runwise_normalisation, "runwise_normalisation"))]
        models, self.normalisation_table, base, self.per_run_rate_error = build_per_run_models(
            observations, self._spec, *flags, off_observations=off_observations,
            base_model=base_model, **self._execution_options())
        self.products = base.products
        if base.zenith_bins:
            self._report(base)
        return models

    def plot_zenith_binning(self, ax=None):
        """Bar plot of the livetime per cos-zenith bin of the last binned model (per azimuth
        side and wobble when those apply); returns the matplotlib axes."""
        if not self.zenith_bins:
            raise BaccmodValueError("no zenith binning yet: build a zenith-binned model first.")
        return plot_zenith_binning(self.zenith_bins, self.azimuth_east_west_splitting, ax)

    def _collection(self, result):
        self._report(result)
        self.products = result.products
        return result.model

    def _report(self, result):
        estimates = result.estimates or {}
        self.fit_results = {key: e.fit for key, e in estimates.items()}
        self.sq_rel_residuals = fit_residuals(estimates.values())
        self.zenith_bins = result.zenith_bins
        report_zenith_bins(self.zenith_bins, self.azimuth_east_west_splitting, self.verbose)


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
    dynamic_energy_axis : bool
        Merge computation energy bins, from the highest energy down, until each holds
        ``dynamic_energy_axis_target_statistics`` counts per spatial bin on average, no wider
        than ``dynamic_energy_axis_maximum_wideness_bin`` in log10(E); empty bins at the ends
        are merged only with ``dynamic_energy_axis_merge_zeros_low_energy`` /
        ``..._high_energy`` (see :func:`baccmod.core.energy_axis.dynamic_energy_edges`). The
        model is computed on that axis (per zenith bin) and interpolated onto ``energy_axis``.
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
    add_intermediary_output : bool
        Also put each returned model's products in its ``meta["baccmod"]`` (see
        :mod:`baccmod.products`).
    runwise_normalisation_energy_range : tuple of two energy Quantities, optional
        Energy range (low, high) of the run-wise norms of per-run models. Default: from
        1 TeV, or the run's safe energy threshold (``LO_THRES`` of its effective area, as
        gammapy's ``SafeMaskMaker`` ``aeff-default``) when that is higher, to the model's
        highest energy, so that the counts near the threshold, where a model from other
        runs matches least, do not set the norm (on H.E.S.S. DR1 gammapy's norms in 1-10 TeV
        are then 0.97-1.04 on four targets, 0.53-1.06 with the whole range; see the
        README); the model's whole range, with a warning, when it does not reach above
        that. Cut to the model's energy axis; it must overlap it.
    runwise_normalisation_method : str
        ``"scale"``: one norm, the closed-form Poisson likelihood maximum (gammapy's
        ``FoVBackgroundMaker(method="scale")``); ``"fit"``: norm and spectral tilt, model x
        norm x (E / 1 TeV)^-tilt, by Poisson likelihood (``method="fit"`` with a
        ``PowerLawNormSpectralModel``); the tilt is applied to the model's whole energy axis.
        See :mod:`baccmod.core.normalisation`.
    rate_per : str
        What the model's rates (s-1 MeV-1 sr-1) are per: ``"livetime"`` (default, BAccMod's
        convention: counts / (livetime x dE x dOmega), livetime = GTI sum x DEADC as
        gammapy's ``observation_live_time_duration``) or ``"observation_time"`` (counts /
        (GTI sum x dE x dOmega): gammapy's ``MapDatasetMaker.make_background`` multiplies the
        bkg IRF by ``observation_time_duration``, the GTI sum, in
        ``make_map_background_irf(ontime=...)``). A per-livetime model given to gammapy
        predicts ontime / livetime (1 / DEADC, 1.02-1.21 on H.E.S.S. DR1) times the
        background; a per-observation-time one predicts it as it is. Run-wise normalised
        models are the same either way (the norm absorbs the factor). With
        ``"observation_time"`` every time taken from a run is its GTI sum: the exposures, the
        ``min_livetime`` thresholds of the zenith bins and the LIVETIME of the products.
        Recorded in each model's ``meta["RATE_PER"]`` (a header keyword of its file).
    n_jobs : int, optional
        Work on the runs in this many local processes (-1: one per core); None: here.
    executor : concurrent.futures.Executor, optional
        Work on the runs with this executor instead, e.g. a Dask cluster's
        (``dask.distributed.Client(...).get_executor()``). The runs' contributions are summed
        in the runs' order either way: the models are the same as the serial ones, number for
        number (see :mod:`baccmod.executors`).
    cache_dir : str or pathlib.Path, optional
        Keep each run's work in this directory and reuse it: later builds with other zenith
        binning, interpolation, mini-IRF or normalisation settings read no event file (see
        :mod:`baccmod.run_cache`).

    Attributes
    ----------
    counts, exposure, livetime
        Of the last stacked model (counts on the computation energy axis used, exposure in
        s MeV sr on the output energy axis).
    rate_error : Quantity
        Statistical error of the last stacked model's rate, per bin (s-1 MeV-1 sr-1).
    products : baccmod.products.ModelProducts or dict
        What the last model was computed from (see :mod:`baccmod.products`); zenith (deg) ->
        products for collections (per side with azimuth splitting); the base model's for
        per-run models (None for a given ``base_model``).
    per_run_rate_error : dict
        obs_id -> statistical error (Quantity; None if not known) of each per-run model of
        the last per-run call.
    energy_axis_computation, base_energy_axis_computation : MapAxis
        The computation energy axis of the last stacked model (the dynamic one when it
        applies), and the one given.
    zenith_bins : list of baccmod.core.binned.ZenithBin
        Of the last zenith-binned model.
    normalisation_table : astropy.table.Table
        Per run of the last per-run call: OBS_ID, NORM, NORM_ERR, TILT, TILT_ERR (0 with
        ``"scale"``; errors from the likelihood), ENERGY_MIN, ENERGY_MAX (TeV, the run's
        normalisation range), METHOD (the method that gave the values: ``"fit"`` falls back
        to ``"scale"`` with a warning where norm and tilt cannot both be fitted), COUNTS
        (unexcluded events within the maximum offset and the energy range), PREDICTED (by
        the model before normalisation, as gammapy predicts it with ontime: see
        :mod:`baccmod.core.normalisation`; with ``"scale"`` NORM = COUNTS / PREDICTED),
        PREDICTED_BIN_MEAN (the model's own prediction: rate x livetime x dE x dOmega x
        unexcluded fraction), FITTED (False when the norm was kept at 1).
    """
    _regular_offset_axis = False

    @staticmethod
    def _geometry(options):
        return RadialGeometry(options["offset_axis"], options["oversample_map"])

    @staticmethod
    def _fit(options):
        return None


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

    ``method="fit"`` (BAccMod 0.4.1) fits, per computation energy bin (per zenith bin), the 2D
    function ``fit_fnc`` (``"gaussian2d"``, ``"bilinear_gaussian2d"`` or a callable
    ``f(x, y, size, ...)`` giving counts per bin, x = fov_lon and y = fov_lat in deg) to the
    counts, with the unexcluded fraction as exposure; ``fit_seeds`` and ``fit_bounds`` (dicts by
    parameter name; a bound None fixes the parameter) override the defaults of
    :data:`baccmod.core.fit_models.LEGACY_FIT_FUNCTIONS` (see :mod:`baccmod.fitting`).

    Attributes
    ----------
    fit_result : baccmod.core.fit.CubeFit or None
        The fit behind the last stacked model: rate, error, ``results`` (a FitResult per fitted
        piece: values, errors, covariance, success) (None when not fitted).
    fit_results : dict
        (side, zenith deg) -> CubeFit of each bin of the last zenith-binned model.
    sq_rel_residuals : dict
        ``{"mean": [...], "std": [...]}``: per fitted piece of the last model, mean and standard
        deviation of (counts - fit) / sqrt(fit) over its exposed bins.
    """
    _regular_offset_axis = True

    def __init__(self, energy_axis, offset_axis, oversample_map=10,
                 energy_axis_computation=None, exclude_regions=None, dynamic_energy_axis=False,
                 dynamic_energy_axis_target_statistics=500,
                 dynamic_energy_axis_maximum_wideness_bin=0.5,
                 dynamic_energy_axis_merge_zeros_low_energy=False,
                 dynamic_energy_axis_merge_zeros_high_energy=False,
                 cos_zenith_binning_method="min_livetime", cos_zenith_binning_parameter_value=3600,
                 initial_cos_zenith_binning=0.01, max_angular_separation_wobble=0.4 * u.deg,
                 zenith_binning_run_splitting=False, max_fraction_pixel_rotation_fov=0.5,
                 time_resolution=0.1 * u.s, use_mini_irf_computation=False,
                 mini_irf_time_resolution=1.0 * u.min, method="stack", fit_fnc="gaussian2d",
                 fit_seeds=None, fit_bounds=None, azimuth_east_west_splitting=False,
                 interpolation_zenith_type="linear", activate_interpolation_zenith_cleaning=False,
                 interpolation_cleaning_energy_relative_threshold=1e-4,
                 interpolation_cleaning_spatial_relative_threshold=1e-2, *, location=None,
                 min_run_per_cos_zenith_bin=None, verbose=False, add_intermediary_output=False,
                 runwise_normalisation_energy_range=None,
                 runwise_normalisation_method="scale", rate_per="livetime", n_jobs=None,
                 executor=None, cache_dir=None, **options):
        self._setup(dict(locals()))

    @staticmethod
    def _geometry(options):
        return GridGeometry(options["offset_axis"], options["oversample_map"],
                            options["max_fraction_pixel_rotation_fov"],
                            options["time_resolution"].to_value(u.s))

    @staticmethod
    def _fit(options):
        return legacy_fit(options["method"], options["fit_fnc"], options["fit_seeds"],
                          options["fit_bounds"])
