"""What a model was computed from: its intermediate products and statistical errors.

Every build keeps, for each model it makes (the stacked model, or each zenith bin's), a
:class:`ModelProducts`: the counts and exposures on the computation energy axis actually used
(the dynamic one when it applies), the rate there before the interpolation onto the model's
energy axis, the statistical errors and a table of the runs. The creators give them as
``creator.products``; with ``add_intermediary_output=True`` each returned model also carries
them in ``model.meta["baccmod"]`` (:meth:`ModelProducts.to_meta`).

Statistical errors (s-1 MeV-1 sr-1, per bin):

- a counted rate N / exposure: sqrt(N) / exposure, and that of one count where N = 0
  (:class:`baccmod.core.model.BackgroundCube`);
- a fitted rate: from the fit's covariance (see :mod:`baccmod.core.fit`);
- on the model's energy axis: the relative error of the computation bin the model bin's centre
  falls in (:func:`baccmod.core.rate.interpolate_energy_error`);
- zenith collections: per stored model; between models see
  :func:`baccmod.core.zenith_interpolation.interpolate_cos_zenith_error`;
- per-run models (:func:`per_run_meta`): the duration-weighted mean of the errors of the
  base models the run's pieces take (linear: the pieces share those models, so their errors
  are not independent), times the run-wise norm. The norm's own error (``NORM_ERR`` of the
  normalisation table) scales every bin of a run together and is not included.

gammapy writes a model's ``meta`` into its FITS header: astropy cannot put a dict there and
skips ``meta["baccmod"]`` with a warning (``model.write`` still writes the model). Collection
files leave it out quietly and store each model's error in a ``BKG_ERR`` column
(:mod:`baccmod.collection`).
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np
from astropy import units as u
from astropy.table import Table
from astropy.time import Time

from .adapters.irf import RATE_UNIT
from .core.rate import energy_bin_exposure
from .estimate import energy_axis_of

EXPOSURE_UNIT = u.Unit("s MeV sr")
#: Columns of the run table of a model's products.
RUN_COLUMNS = ("OBS_ID", "TSTART", "TSTOP", "RA_PNT", "DEC_PNT", "LIVETIME", "COUNTS")


@dataclass(frozen=True)
class RunRecord:
    """What a run's row in the run table needs, kept while the runs are scanned (numbers,
    no events): obs_id, first GTI start and last GTI stop (MJD, TT), pointing (deg)."""
    obs_id: int
    time_start_mjd: float
    time_stop_mjd: float
    ra_deg: float
    dec_deg: float

    @classmethod
    def of(cls, run):
        """The record of a :class:`~baccmod.core.model.RunArrays` read by the adapters."""
        return cls(run.obs_id, run.time_start_mjd, run.time_stop_mjd,
                   float(np.degrees(run.pointing_lon)), float(np.degrees(run.pointing_lat)))


def run_table(records, totals):
    """Table of the runs in a model: one row per record whose obs_id is in ``totals``.

    Parameters
    ----------
    records : list of RunRecord
        In scan order.
    totals : dict
        obs_id -> (livetime s, counts) the run gave the model (summed over its pieces).

    Returns
    -------
    astropy.table.Table
        Columns :data:`RUN_COLUMNS`: OBS_ID, TSTART and TSTOP (Time, TT; first GTI start and
        last GTI stop of the whole run), RA_PNT and DEC_PNT (deg), LIVETIME (s) and COUNTS
        (unexcluded events in the model's bins on the computation energy axis).
    """
    rows = [r for r in records if r.obs_id in totals]
    livetime = [totals[r.obs_id][0] for r in rows]
    counts = [totals[r.obs_id][1] for r in rows]
    return Table([np.array([r.obs_id for r in rows], dtype=np.int64),
                  Time([r.time_start_mjd for r in rows], format="mjd", scale="tt"),
                  Time([r.time_stop_mjd for r in rows], format="mjd", scale="tt"),
                  np.array([r.ra_deg for r in rows], dtype=float) * u.deg,
                  np.array([r.dec_deg for r in rows], dtype=float) * u.deg,
                  np.array(livetime, dtype=float) * u.s,
                  np.rint(counts).astype(np.int64)], names=RUN_COLUMNS)


@dataclass
class ModelProducts:
    """What one model was computed from.

    Arrays have shape (n_computation, *spatial) on the computation energy axis actually used,
    except ``rate_error`` (the model's shape).

    Attributes
    ----------
    counts : ndarray
        Unexcluded events per bin, summed over the runs.
    exposure : Quantity
        Sum over runs of livetime x dE x dOmega x unexcluded fraction, s MeV sr.
    exposure_without_exclusions : Quantity
        livetime x dE x dOmega summed over the runs, s MeV sr (>= ``exposure``).
    energy_axis_computation : gammapy.maps.MapAxis
        The computation energy axis actually used.
    rate_computation, rate_computation_error : Quantity
        The rate there, before the interpolation onto the model's energy axis (counts /
        exposure, or the fitted rate), and its statistical error, s-1 MeV-1 sr-1.
    rate_error : Quantity
        Statistical error of the model's rate, on the model's axes, s-1 MeV-1 sr-1.
    livetime : Quantity
        Of the runs (or pieces) in the model, s.
    runs : astropy.table.Table
        One row per run in the model (see :func:`run_table`).
    fit : object, optional
        The fit behind a fitted rate (see :mod:`baccmod.core.fit`).
    """
    counts: np.ndarray
    exposure: u.Quantity
    exposure_without_exclusions: u.Quantity
    energy_axis_computation: object
    rate_computation: u.Quantity
    rate_computation_error: u.Quantity
    rate_error: u.Quantity
    livetime: u.Quantity
    runs: Table
    fit: Optional[object] = None

    def to_meta(self):
        """The products as the dict put in ``model.meta["baccmod"]`` (the attributes by
        name; the same objects, not copies)."""
        return dict(self.__dict__)


def model_products(estimate, solid_angle, runs, like_axis):
    """The :class:`ModelProducts` of a rate estimate.

    Parameters
    ----------
    estimate : baccmod.estimate.RateEstimate
    solid_angle : ndarray, shape spatial
        Solid angle of the spatial bins, sr.
    runs : astropy.table.Table
        The runs in the model (:func:`run_table`).
    like_axis : gammapy.maps.MapAxis
        The given computation energy axis (unit and interpolation of the axis made).
    """
    cube = estimate.cube
    without = energy_bin_exposure(cube.energy_edges, cube.livetime * solid_angle)
    return ModelProducts(
        counts=cube.counts, exposure=cube.exposure * EXPOSURE_UNIT,
        exposure_without_exclusions=without * EXPOSURE_UNIT,
        energy_axis_computation=energy_axis_of(cube.energy_edges, like_axis),
        rate_computation=estimate.rate_computation * RATE_UNIT,
        rate_computation_error=estimate.error_computation * RATE_UNIT,
        rate_error=estimate.rate_error * RATE_UNIT, livetime=cube.livetime * u.s, runs=runs,
        fit=estimate.fit)


def with_products(model, products):
    """``model`` with ``meta["baccmod"]`` holding ``products`` (:meth:`ModelProducts.to_meta`,
    or the dict of a per-run model, :func:`per_run_meta`)."""
    model.meta["baccmod"] = products.to_meta() if isinstance(products, ModelProducts) \
        else products
    return model


def per_run_meta(obs_id, rate_error, normalisation, base_products):
    """``meta["baccmod"]`` of a per-run model.

    Parameters
    ----------
    obs_id : int
    rate_error : ndarray or None
        Error of the run's rate (s-1 MeV-1 sr-1), None when the base model's is not known.
    normalisation : dict or None
        The run's row of the normalisation table (column -> value), None without
        normalisation.
    base_products : ModelProducts, dict or None
        Of the base model (shared by the per-run models of one call, not copied); a dict per
        zenith (per side) for zenith collections; None for a given base model.
    """
    return {"obs_id": obs_id,
            "rate_error": None if rate_error is None else rate_error * RATE_UNIT,
            "normalisation": normalisation, "base_products": base_products}
