"""Run-by-run reduction of a validation (see :mod:`baccmod.validation`).

Each run is read once: its dataset is made on a cutout of the common geometry, its counts and
predicted counts are summed in (energy, offset ring) bins around its own pointing, its norm
is taken from the table or fitted, and it is stacked for the significance map.
"""
import logging
from dataclasses import dataclass

import numpy as np
from astropy.table import Table

from .adapters.validation_datasets import (common_geometry, empty_stack, fit_fov_norm,
                                           keep_mask, run_dataset, run_zenith_and_time,
                                           significance_image)
from .core.validation_stats import ring_sums
from .errors import BaccmodValueError
from .progress import progress

log = logging.getLogger(__name__)

RUN_COLUMNS = ("OBS_ID", "ZENITH", "TIME", "COUNTS", "PREDICTED", "NORM", "NORM_ERR", "TILT",
               "TILT_ERR")
#: Columns added from a normalisation table, with the keys of its values.
TABLE_COLUMNS = {"TABLE_NORM": "norm", "TABLE_NORM_ERR": "norm_err", "TABLE_TILT": "tilt",
                 "TABLE_TILT_ERR": "tilt_err"}
RUN_UNITS = {"ZENITH": "deg", "TIME": "d"}


@dataclass
class Reduced:
    """Sums over the runs.

    Attributes
    ----------
    counts, predicted : ndarray, shape (n_energy, n_ring)
        Outside the exclusions, in the safe masks.
    runs : astropy.table.Table
        Columns :data:`RUN_COLUMNS`.
    significance : gammapy.maps.WcsNDMap
        Energy-integrated significance image of the stacked runs.
    used_pixels : gammapy.maps.WcsNDMap
        Boolean image: pixels in the distribution.
    keep : gammapy.maps.WcsNDMap
        Boolean image: outside the exclusions.
    """
    counts: np.ndarray
    predicted: np.ndarray
    runs: Table
    significance: object
    used_pixels: object
    keep: object

    @property
    def significance_values(self):
        return self.significance.data[self.used_pixels.data]


def reduce_runs(runs, models, areas, energy_axis, offset_axis, norms, fov_background,
                correlation_radius, pixel_size, safe_mask_methods):
    """Reduce every run with its model; see :func:`baccmod.validation.validate`."""
    offset_max = offset_axis.edges[-1]
    pointings = _pointings(runs)
    geom = common_geometry(pointings, offset_max, energy_axis, pixel_size, correlation_radius)
    keep = keep_mask(geom, areas)
    stacked = empty_stack(geom)
    shape = (energy_axis.nbin, offset_axis.nbin)
    counts, predicted, rows = np.zeros(shape), np.zeros(shape), []
    for obs in progress(runs, desc="validation runs"):
        dataset, pointing = run_dataset(stacked, obs, models[obs.obs_id], offset_max,
                                        _safe_methods(obs, safe_mask_methods))
        run_keep = keep.cutout(pointing, width=2 * offset_max)
        fitted, norm = fit_fov_norm(dataset, run_keep)
        if fov_background:
            dataset = fitted
        run_counts, run_predicted = _ring_sums(dataset, run_keep, pointing, offset_axis)
        counts += run_counts
        predicted += run_predicted
        stacked.stack(dataset)
        zenith, time = run_zenith_and_time(obs)
        rows.append((obs.obs_id, zenith, time, run_counts.sum(), run_predicted.sum(),
                     norm["norm"], norm["norm_err"], norm["tilt"], norm["tilt_err"]))
    table = Table(rows=rows, names=RUN_COLUMNS, units=RUN_UNITS)
    _add_table_norms(table, norms)
    significance = significance_image(stacked, correlation_radius)
    used = _used_pixels(stacked, keep, correlation_radius)
    return Reduced(counts, predicted, table, significance, used, keep)


def _pointings(runs):
    from astropy.coordinates import SkyCoord
    icrs = [obs.get_pointing_icrs(obs.tmid) for obs in runs]
    return SkyCoord([c.ra.deg for c in icrs], [c.dec.deg for c in icrs], unit="deg")


def _safe_methods(obs, methods):
    if methods is not None:
        return methods
    return ["offset-max"] + (["aeff-default"] if obs.aeff is not None else [])


def _add_table_norms(table, norms):
    """Columns TABLE_* with the norms of the models' normalisation table, when given."""
    if norms is None:
        return
    for column, key in TABLE_COLUMNS.items():
        values = [norms[obs_id].get(key) for obs_id in table["OBS_ID"]]
        if all(value is not None for value in values):
            table[column] = values


def _ring_sums(dataset, keep, pointing, offset_axis):
    """Counts and predicted counts of one run per (energy, ring), safe and outside exclusions."""
    geom = dataset.counts.geom
    mask = dataset.mask_safe.data & keep.data[None]
    offset = geom.to_image().separation(pointing).deg
    return ring_sums(dataset.counts.data, dataset.npred_background().data, mask, offset,
                     offset_axis.edges.to_value("deg"))


def _used_pixels(stacked, keep, radius):
    """Pixels whose whole correlation disk is safe and outside the exclusions."""
    safe = stacked.mask_safe.reduce_over_axes(func=np.logical_or)
    usable = safe.copy(data=safe.data & keep.data)
    used = usable.binary_erode(width=radius, kernel="disk")
    if not np.any(used.data):
        raise BaccmodValueError(
            "no sky pixel is safe and outside the exclusions with a correlation disk of "
            f"{radius}: use smaller exclusions or a smaller correlation_radius.")
    return used
