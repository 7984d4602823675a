"""One model per run from a base model and the runs' summaries.

The base model is a gammapy background IRF, a :class:`~baccmod.collection.BackgroundCollectionZenith`
or a :class:`~baccmod.collection.BackgroundCollectionZenithSplitAzimuth`. A run's model is the
base model itself, or the duration-weighted mean over pieces of the run (mini-IRFs, azimuth
sides) of the collection's model at each piece's mid-time zenith (closest bin, or interpolated
in cos zenith); then, optionally, scaled by the run-wise norm
(:mod:`baccmod.core.normalisation`). A run's statistical error follows the same path from the
base model's (see :mod:`baccmod.products`).
"""
import logging

import numpy as np
from astropy.table import Table

from .adapters.irf import RATE_UNIT
from .collection import BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth
from .core.normalisation import (bin_mean_integral, energy_integrated_rate, fit_norm_tilt,
                                 predicted_counts, scale_norm, tilt_factor)
from .core.split import azimuth_at, cos_zenith_at, equal_pieces, gti_overlap, piece_bounds
from .core.zenith import angle_crossing_times

log = logging.getLogger(__name__)

#: Azimuth boundaries of the east [0, 180) deg and west [180, 360) deg sides, rad.
SIDE_BOUNDARIES = np.array([0.0, np.pi])
#: Run-wise norms outside this range are reported with a warning.
NORM_WARNING_RANGE = (0.5, 1.5)
#: Relative difference between gammapy's reading and the bin means that gets a warning.
GAMMAPY_READING_TOLERANCE = 0.1
NORM_COLUMNS = ("OBS_ID", "NORM", "NORM_ERR", "TILT", "TILT_ERR", "ENERGY_MIN", "ENERGY_MAX",
                "METHOD", "COUNTS", "PREDICTED", "PREDICTED_BIN_MEAN", "FITTED")
_NORM_DTYPES = (int, float, float, float, float, float, float, "U5", float, float, float, bool)


def per_run_models(base, summaries, wrap, energy_edges, interpolate, normalise,
                   mini_irf_duration=None, base_error=None):
    """Models per run, the table of run-wise norms and the models' statistical errors.

    Parameters
    ----------
    base : Background2D, Background3D or a zenith collection
    summaries : list of baccmod.core.model.RunSummary
    wrap : callable
        Rate array (s-1 MeV-1 sr-1) -> gammapy IRF on the creator's axes.
    energy_edges : ndarray
        Energy edges of the models, TeV.
    interpolate : bool
        Interpolate collections in cos zenith (else the closest bin).
    normalise : str or None
        Normalise each model to its run's counts: ``"scale"`` (norm) or ``"fit"`` (norm and
        tilt), see :mod:`baccmod.core.normalisation`; None: not normalised.
    mini_irf_duration : float, optional
        Longest piece (s) of a run for mini-IRFs; None: whole runs.
    base_error : ndarray, optional
        Statistical error (s-1 MeV-1 sr-1) of a single base model (collections hold their
        own); None when not known.

    Returns
    -------
    models : dict obs_id -> IRF
    table : astropy.table.Table
        Columns :data:`NORM_COLUMNS` (empty without normalisation).
    errors : dict obs_id -> ndarray or None
        Statistical error of each model's rate (s-1 MeV-1 sr-1): that of the base model
        (see :func:`run_rate`) times the run-wise norm; None when the base model's is not
        known.
    """
    centres = np.sqrt(energy_edges[1:] * energy_edges[:-1])
    models, errors, rows = {}, {}, []
    for summary in summaries:
        rate, error = run_rate(base, summary, interpolate, mini_irf_duration, base_error)
        if normalise:
            fit, bin_mean = run_norm(rate, energy_edges, summary, normalise)
            factor = (fit.norm * tilt_factor(centres, fit.tilt)).reshape(
                (-1,) + (1,) * (rate.ndim - 1))
            rate = rate * factor
            error = None if error is None else error * factor
            edges = summary.norm_energy_edges
            rows.append((summary.obs_id, fit.norm, fit.error, fit.tilt, fit.tilt_error,
                         edges[0], edges[-1], fit.method, fit.counts, fit.predicted, bin_mean,
                         fit.fitted))
        models[summary.obs_id] = wrap(rate)
        errors[summary.obs_id] = error
    table = Table(rows=rows or None, names=NORM_COLUMNS, dtype=_NORM_DTYPES)
    for name in ("ENERGY_MIN", "ENERGY_MAX"):
        table[name].unit = "TeV"
    _warn_gammapy_reading(table)
    return models, table, errors


def run_norm(rate, energy_edges, summary, method):
    """The run-wise norm (:class:`~baccmod.core.normalisation.RunNorm`) of one run's rate
    (s-1 MeV-1 sr-1, on ``energy_edges`` TeV) in its normalisation bins, by ``method``
    (``"fit"`` falls back to ``"scale"`` with a warning where the fit has no maximum), and
    the counts the model's bin means predict there per livetime."""
    edges = summary.norm_energy_edges
    predicted = predicted_counts(energy_integrated_rate(rate, energy_edges, edges),
                                 summary.observation_time, summary.norm_solid_angle)
    fit = None
    if method == "fit":
        fit = fit_norm_tilt(summary.norm_counts, predicted, np.sqrt(edges[1:] * edges[:-1]))
        if fit is None:
            log.warning("run %s: norm and tilt cannot both be fitted in %.3g-%.3g TeV (fewer "
                        "than two energy bins with counts and prediction, or counts where the "
                        "model predicts none, or all counts in one bin): the norm is scaled "
                        "with the tilt kept at 0.", summary.obs_id, edges[0], edges[-1])
    if fit is None:
        fit = scale_norm(summary.norm_counts, predicted)
    _log_norm(summary.obs_id, fit)
    bin_mean = float(predicted_counts(bin_mean_integral(rate, energy_edges, edges),
                                      summary.livetime, summary.norm_solid_angle).sum())
    return fit, bin_mean


def run_rate(base, summary, interpolate, mini_irf_duration=None, base_error=None):
    """The base model's rate (s-1 MeV-1 sr-1) for one run and its statistical error.

    A collection's rate is the duration-weighted mean over the run's pieces of the rate of
    the model each takes, the error the same mean of their errors (the pieces share base
    models: their errors add linearly); None when an error is not known. A single model's
    error is ``base_error``.
    """
    if not isinstance(base, (BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth)):
        return _rate_of(base), base_error
    cuts = [equal_pieces(summary, mini_irf_duration)] if mini_irf_duration else []
    split_azimuth = isinstance(base, BackgroundCollectionZenithSplitAzimuth)
    if split_azimuth:
        cuts.append(angle_crossing_times(summary.track_times, summary.track_azimuth,
                                         SIDE_BOUNDARIES))
    total, rate, error, outside = 0.0, 0.0, 0.0, []
    for start, stop in piece_bounds(summary, np.concatenate(cuts) if cuts else []):
        weight = gti_overlap(summary.gti_starts, summary.gti_stops, start, stop)
        mid = 0.5 * (start + stop)
        zenith_deg = float(np.degrees(np.arccos(cos_zenith_at(summary, mid))))
        collection = base
        if split_azimuth:
            collection = _side_collection(base, float(np.degrees(azimuth_at(summary, mid))))
        if interpolate:
            piece_rate = collection.interpolated_rate(zenith_deg, warn=False)
            piece_error = collection.interpolated_error(zenith_deg)
            if len(collection) == 1 or not collection.covers(zenith_deg):
                outside.append((zenith_deg, collection))
        else:
            piece_rate = collection.closest_rate(zenith_deg)
            piece_error = collection.closest_error(zenith_deg)
        scale = weight * collection.unit.to(RATE_UNIT)
        rate = rate + scale * piece_rate
        error = None if error is None or piece_error is None else error + scale * piece_error
        total += weight
    _warn_extrapolation(summary.obs_id, outside)
    return rate / total, None if error is None else error / total


def _side_collection(base, azimuth_deg):
    """The collection of an azimuth side, or the other side's when that side has no model."""
    collection = base.collection(azimuth_deg)
    if len(collection) == 0:
        other = base.west if collection is base.east else base.east
        log.warning("no model for the %s side of the sky: using the other side's.",
                    base.side(azimuth_deg))
        return other
    return collection


def _rate_of(model):
    return np.asarray(model.quantity.to_value(RATE_UNIT), dtype=float)


def _log_norm(obs_id, fit):
    if not fit.fitted:
        log.warning("run %s: no counts (%d) or no prediction (%.3g) for the run-wise norm; "
                    "the norm is kept at 1.", obs_id, fit.counts, fit.predicted)
    elif not NORM_WARNING_RANGE[0] <= fit.norm <= NORM_WARNING_RANGE[1]:
        log.warning("run %s: run-wise norm %.3f +- %.3f is outside [%.1f, %.1f].", obs_id,
                    fit.norm, fit.error, *NORM_WARNING_RANGE)
    else:
        log.log(15, "run %s: run-wise norm %.3f +- %.3f, tilt %.3f +- %.3f", obs_id, fit.norm,
                fit.error, fit.tilt, fit.tilt_error)


def _warn_gammapy_reading(table):
    """Warn when gammapy's reading of the models departs from their bin means by > 10 %."""
    if not len(table):
        return
    ratio = table["PREDICTED"] / np.where(table["PREDICTED_BIN_MEAN"] > 0,
                                          table["PREDICTED_BIN_MEAN"], np.nan)
    off = np.abs(ratio - 1) > GAMMAPY_READING_TOLERANCE
    if np.any(off):
        log.warning("for %d of %d runs gammapy's reading of the model (log-log between energy "
                    "bin centres, times ontime) predicts %.0f-%.0f %% of what the model's bin "
                    "means give; the run-wise norms follow gammapy's reading. Finer energy bins "
                    "(or energy_axis_computation) near the energy threshold reduce the "
                    "difference.", int(off.sum()), len(table), 100 * np.nanmin(ratio),
                    100 * np.nanmax(ratio))


def _warn_extrapolation(obs_id, outside):
    """One warning per run whose zenith lies outside its collection's zeniths."""
    if not outside:
        return
    zeniths = [z for z, _ in outside]
    collection = outside[0][1]
    if len(collection) == 1:
        log.warning("run %s: the collection holds one zenith bin; its model is used as it is.",
                    obs_id)
        return
    known = collection.get_zenith().to_value("deg")
    log.warning("run %s: zenith %.2f-%.2f deg is outside the models' [%.2f, %.2f] deg: "
                "extrapolating.", obs_id, min(zeniths), max(zeniths), known[0], known[-1])
