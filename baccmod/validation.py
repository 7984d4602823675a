"""Validation report of background models with gammapy's own analysis tools.

:func:`validate` puts each run's model in the run as its ``bkg`` IRF and reduces the runs as a
gammapy user would (``MapDatasetMaker``, ``SafeMaskMaker``, optionally
``FoVBackgroundMaker``), then measures how well the model predicts the counts outside the
exclusions:

- the significance distribution: Cash significance (gammapy's ``ExcessMapEstimator``) of the
  energy-integrated stacked counts against the predicted background, counts summed in a disk
  of ``correlation_radius`` (default 0.1 deg) around each pixel; only pixels whose whole disk
  is safe and outside the exclusions are used. For a right model its fitted mean is ~0 and
  its width ~1;
- counts / predicted in offset rings (around each run's own pointing) and in energy bins,
  with the Poisson deviance (a chi2 for as many degrees of freedom as bins: ~1 per bin for a
  right model; :mod:`baccmod.core.validation_stats`);
- the norm and tilt per run against zenith and time, fitted by gammapy's
  ``FoVBackgroundMaker`` (power-law norm, 1 TeV reference) outside the exclusions (1 and 0
  for a right model), and the norms the build applied when its normalisation table is given;
- the model itself.

Files written in ``out_dir``: ``validation.ecsv`` (residuals per ring and per energy bin, the
summary in its meta), ``validation_runs.ecsv`` (one row per run) and the PNG figures of
:mod:`baccmod.validation_plots`.
"""
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import Table

from .adapters.exclusion import excluded_areas
from .adapters.run_list import observation_list
from .core.validation_stats import gaussian_fit, residuals
from .errors import BaccmodTypeError, BaccmodValueError
from .options import check_flag, check_quantity
from .validation_plots import write_figures
from .validation_run import reduce_runs

log = logging.getLogger(__name__)

RESIDUAL_FILE = "validation.ecsv"
RUN_FILE = "validation_runs.ecsv"
#: Fewest significance pixels for a meaningful mean and width.
MIN_PIXELS = 10


@dataclass
class ValidationResult:
    """What :func:`validate` measured and wrote.

    Attributes
    ----------
    table : astropy.table.Table
        Residuals: one row per offset ring (``KIND='offset'``, all energies) and per energy
        bin (``KIND='energy'``, all offsets) with ``COUNTS``, ``PREDICTED``, ``RATIO``,
        ``RATIO_ERR`` (Poisson error of a right prediction); ``meta`` holds the summary.
    runs : astropy.table.Table
        One row per run: ``OBS_ID``, ``ZENITH`` (deg), ``TIME`` (MJD), ``COUNTS``,
        ``PREDICTED``, and gammapy's ``FoVBackgroundMaker`` fit of the model to the run:
        ``NORM``, ``NORM_ERR``, ``TILT``, ``TILT_ERR`` (1 and 0 for a right model); with a
        normalisation table also ``TABLE_NORM`` (and ``TABLE_NORM_ERR``, ``TABLE_TILT``,
        ``TABLE_TILT_ERR`` when it has them): the norms the build applied.
    figures : list of Path
        The PNG files.
    summary : dict
        ``significance_mean``, ``significance_width``, ``significance_pixels``,
        ``correlation_radius_deg``, ``offset_deviance``, ``offset_dof``, ``energy_deviance``,
        ``energy_dof``, ``counts``, ``predicted``, ``n_runs``.
    files : list of Path
        The ECSV files.
    """
    table: Table
    runs: Table
    figures: list
    summary: dict
    files: list = field(default_factory=list)


def validate(observations, models, exclude_regions, out_dir, energy_axis=None,
             offset_axis=None, *, normalisation_table=None, fov_background=False,
             correlation_radius=0.1 * u.deg, pixel_size=0.02 * u.deg, safe_mask_methods=None):
    """Check background models against the runs with gammapy and write the report.

    Parameters
    ----------
    observations : gammapy.data.Observations or list of Observation
    models : dict obs_id -> Background2D or Background3D
        The model of each run (rates in s-1 MeV-1 sr-1, as gammapy reads ``bkg``).
    exclude_regions : None, SkyRegion, regions.Regions, boolean WcsNDMap or a list of these
        Sky areas (sources) left out of every number.
    out_dir : str or Path
        Folder for the report (created; files of a previous report are replaced).
    energy_axis : MapAxis, optional
        Reconstructed-energy binning of the datasets; default the first model's energy axis.
    offset_axis : MapAxis, optional
        Offset rings (deg); its last edge is the safe ``offset-max``. Default: 0 to the
        models' largest offset in rings of ~0.25 deg.
    normalisation_table : astropy.table.Table, optional
        Run-wise norms applied by the build (``OBS_ID``, ``NORM``, optional ``NORM_ERR``,
        ``TILT``, ``TILT_ERR``), e.g. a creator's ``normalisation_table``: reported and drawn
        next to gammapy's fit.
    fov_background : bool
        Scale each run's background by gammapy's ``FoVBackgroundMaker`` fit before the
        significance and residuals (checks the model's shape only); default False (checks
        the model as given, absolute level included).
    correlation_radius : Angle
        Radius of the disk in which counts are summed for the significance.
    pixel_size : Angle
        Pixel size of the maps.
    safe_mask_methods : list of str, optional
        gammapy ``SafeMaskMaker`` methods; default ``["offset-max"]`` plus ``"aeff-default"``
        for runs with an effective area.

    Returns
    -------
    ValidationResult
    """
    runs = observation_list(observations)
    models = _checked_models(models, runs)
    areas = excluded_areas(exclude_regions)
    check_flag(fov_background, "fov_background")
    correlation_radius = check_quantity(correlation_radius, "correlation_radius", u.deg,
                                        "0.1 * u.deg")
    pixel_size = check_quantity(pixel_size, "pixel_size", u.deg, "0.02 * u.deg")
    first = models[runs[0].obs_id]
    energy_axis = _checked_axis(energy_axis, "energy_axis", "TeV") or first.axes["energy"]
    offset_axis = _checked_axis(offset_axis, "offset_axis", "deg") or default_offset_axis(first)
    norms = _table_norms(normalisation_table, runs)
    reduced = reduce_runs(runs, models, areas, energy_axis, offset_axis, norms,
                          fov_background, correlation_radius, pixel_size, safe_mask_methods)
    return _report(reduced, models, energy_axis, offset_axis, correlation_radius,
                   Path(out_dir))


def default_offset_axis(model):
    """Rings of ~0.25 deg from 0 to the model's largest offset (Background3D: the largest
    radius inside its FoV square)."""
    from gammapy.maps import MapAxis
    if "offset" in model.axes.names:
        offset_max = model.axes["offset"].edges[-1].to_value("deg")
    else:
        offset_max = min(np.max(np.abs(model.axes[name].edges.to_value("deg")))
                         for name in ("fov_lon", "fov_lat"))
    n_rings = max(2, int(round(offset_max / 0.25)))
    return MapAxis.from_bounds(0, offset_max, n_rings, unit="deg", name="offset")


def _checked_models(models, runs):
    if not isinstance(models, dict):
        raise BaccmodTypeError(
            f"models is a {type(models).__name__}, not a dict obs_id -> Background2D or "
            "Background3D; expand a zenith collection per run first (e.g. with "
            "collection.get_model per run's zenith).")
    from gammapy.irf import Background2D, Background3D
    missing = [obs.obs_id for obs in runs if obs.obs_id not in models]
    if missing:
        raise BaccmodValueError(
            f"no model for run(s) {missing[:10]}: models must hold a Background2D or "
            "Background3D for every run validated; pass the per-run models of these runs or "
            "leave the runs out.")
    for obs in runs:
        model = models[obs.obs_id]
        if not isinstance(model, (Background2D, Background3D)):
            raise BaccmodTypeError(
                f"run {obs.obs_id}: its model is a {type(model).__name__}, not a gammapy "
                "Background2D or Background3D.")
        if not np.all(np.isfinite(model.data)) or np.any(model.data < 0):
            raise BaccmodValueError(
                f"run {obs.obs_id}: its model has negative or non-finite rates; rebuild it "
                "(gammapy would predict meaningless counts from it).")
    return {obs.obs_id: models[obs.obs_id] for obs in runs}


def _checked_axis(axis, name, unit):
    if axis is None:
        return None
    from gammapy.maps import MapAxis
    if not isinstance(axis, MapAxis) or not axis.unit.is_equivalent(unit):
        raise BaccmodTypeError(f"{name} must be a gammapy MapAxis in {unit}, not {axis!r}.")
    return axis


def _table_norms(table, runs):
    """dict obs_id -> {norm, norm_err, tilt, tilt_err} from a normalisation table, or None."""
    if table is None:
        return None
    if "OBS_ID" not in table.colnames or "NORM" not in table.colnames:
        raise BaccmodValueError(
            f"normalisation_table has columns {table.colnames}; it needs OBS_ID and NORM "
            "(a creator's normalisation_table), or pass None to fit the norms with gammapy.")
    rows = {int(row["OBS_ID"]): row for row in table}
    missing = [obs.obs_id for obs in runs if int(obs.obs_id) not in rows]
    if missing:
        raise BaccmodValueError(
            f"normalisation_table has no row for run(s) {missing[:10]}; pass the table of "
            "the same build as the models, or None to fit the norms with gammapy.")
    return {obs.obs_id: _norm_values(rows[int(obs.obs_id)]) for obs in runs}


def _norm_values(row):
    """norm, norm_err, tilt, tilt_err of a table row (None for a missing column)."""
    return {key: float(row[key.upper()]) if key.upper() in row.colnames else None
            for key in ("norm", "norm_err", "tilt", "tilt_err")}


def _report(reduced, models, energy_axis, offset_axis, correlation_radius, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    by_offset = residuals(reduced.counts.sum(axis=0), reduced.predicted.sum(axis=0))
    by_energy = residuals(reduced.counts.sum(axis=1), reduced.predicted.sum(axis=1))
    values = reduced.significance_values
    if values.size < MIN_PIXELS:
        raise BaccmodValueError(
            f"only {values.size} sky pixels are safe and outside the exclusions (with a "
            f"{correlation_radius} margin): too few for a significance distribution; use "
            "smaller exclusions, a larger offset_axis or a smaller correlation_radius.")
    mean, width = gaussian_fit(values)
    summary = {"significance_mean": mean, "significance_width": width,
               "significance_pixels": int(values.size),
               "correlation_radius_deg": float(correlation_radius.to_value("deg")),
               "offset_deviance": by_offset.deviance, "offset_dof": by_offset.dof,
               "energy_deviance": by_energy.deviance, "energy_dof": by_energy.dof,
               "counts": float(reduced.counts.sum()),
               "predicted": float(reduced.predicted.sum()),
               "n_runs": len(reduced.runs)}
    table = _residual_table(by_offset, by_energy, energy_axis, offset_axis, summary)
    files = [out_dir / RESIDUAL_FILE, out_dir / RUN_FILE]
    table.write(files[0], format="ascii.ecsv", overwrite=True)
    reduced.runs.write(files[1], format="ascii.ecsv", overwrite=True)
    figures = write_figures(out_dir, reduced, models, by_offset, by_energy, summary,
                            energy_axis, offset_axis)
    log.info("Validation of %d runs: significance mean %.3f, width %.3f; deviance/dof "
             "%.2f (offset rings), %.2f (energy bins); report in %s", len(reduced.runs), mean,
             width, by_offset.reduced, by_energy.reduced, out_dir)
    return ValidationResult(table, reduced.runs, figures, summary, files)


def _residual_table(by_offset, by_energy, energy_axis, offset_axis, summary):
    e_edges = energy_axis.edges.to_value("TeV")
    o_edges = offset_axis.edges.to_value("deg")
    n_off, n_en = len(o_edges) - 1, len(e_edges) - 1
    table = Table({
        "KIND": ["offset"] * n_off + ["energy"] * n_en,
        "E_MIN": np.r_[np.full(n_off, e_edges[0]), e_edges[:-1]] * u.TeV,
        "E_MAX": np.r_[np.full(n_off, e_edges[-1]), e_edges[1:]] * u.TeV,
        "OFFSET_MIN": np.r_[o_edges[:-1], np.full(n_en, o_edges[0])] * u.deg,
        "OFFSET_MAX": np.r_[o_edges[1:], np.full(n_en, o_edges[-1])] * u.deg,
    })
    for name in ("counts", "predicted", "ratio", "ratio_error"):
        column = name.upper().replace("RATIO_ERROR", "RATIO_ERR")
        table[column] = np.r_[getattr(by_offset, name), getattr(by_energy, name)]
    table.meta.update(summary)
    return table
