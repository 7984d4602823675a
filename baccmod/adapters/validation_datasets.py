"""gammapy's own makers on runs whose ``bkg`` is the model under test.

Each run is reduced on a cutout (2 x the maximum offset wide, centred on its pointing) of one
sky geometry common to all runs, with ``MapDatasetMaker`` (counts and background only) and
``SafeMaskMaker``, as a gammapy user would do it; the cutouts are then stacked.
"""
import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from gammapy.datasets import MapDataset
from gammapy.estimators import ExcessMapEstimator
from gammapy.makers import FoVBackgroundMaker, MapDatasetMaker, SafeMaskMaker
from gammapy.maps import Map, WcsGeom
from gammapy.modeling.models import PowerLawNormSpectralModel

from .irf import with_background


class _CountsBackgroundMaker(MapDatasetMaker):
    """MapDatasetMaker that also takes runs without an effective area (e.g. simulated ones):
    gammapy reads the telescope name from the effective area's header only for its meta
    table, which counts and background do not need."""

    @staticmethod
    def make_meta_table(observation):
        if observation.aeff is not None:
            return MapDatasetMaker.make_meta_table(observation)
        row = {"TELESCOP": "Unknown", "OBS_ID": observation.obs_id}
        row.update(observation.pointing.to_fits_header())
        return Table([row])


def common_geometry(pointings, offset_max, energy_axis, pixel_size, margin):
    """A WCS geometry (ICRS, CAR) holding every run's field of view.

    Parameters
    ----------
    pointings : SkyCoord, shape (n_run,)
    offset_max : Angle
        Largest offset used.
    energy_axis : MapAxis
        Reconstructed energy axis.
    pixel_size, margin : Angle
        Pixel size; extra border beyond the farthest field of view.
    """
    xyz = pointings.icrs.cartesian.xyz.value.mean(axis=1)
    center = SkyCoord(x=xyz[0], y=xyz[1], z=xyz[2], representation_type="cartesian",
                      frame="icrs")
    center = SkyCoord(center.spherical.lon, center.spherical.lat, frame="icrs")
    reach = np.max(pointings.separation(center).deg) + offset_max.to_value("deg")
    width = 2 * (reach + margin.to_value("deg"))
    return WcsGeom.create(skydir=center, width=width, binsz=pixel_size.to_value("deg"),
                          frame="icrs", proj="CAR", axes=[energy_axis])


def keep_mask(geom, areas):
    """Boolean image of ``geom``: True outside every excluded area (baccmod's exclusions)."""
    image = geom.to_image()
    coords = image.get_coord().skycoord.icrs
    lon, lat = coords.ra.rad.ravel(), coords.dec.rad.ravel()
    excluded = np.zeros(lon.shape, dtype=bool)
    for area in areas:
        excluded |= np.asarray(area.contains(lon, lat), dtype=bool)
    return Map.from_geom(image, data=~excluded.reshape(image.data_shape), dtype=bool)


def run_dataset(stacked, obs, model, offset_max, safe_mask_methods):
    """The run reduced with ``model`` as its background, on a cutout of ``stacked``.

    Returns
    -------
    dataset : MapDataset
        Counts, background and safe mask (named after the obs_id).
    pointing : SkyCoord
        The run's pointing (ICRS) at its mid time.
    """
    run = with_background(obs, model)
    pointing = run.get_pointing_icrs(run.tmid)
    cutout = stacked.cutout(pointing, width=2 * offset_max, name=str(obs.obs_id))
    maker = _CountsBackgroundMaker(selection=["counts", "background"])
    dataset = maker.run(cutout, run)
    safe = SafeMaskMaker(methods=list(safe_mask_methods), offset_max=offset_max)
    return safe.run(dataset, run), pointing


def empty_stack(geom):
    return MapDataset.create(geom, name="stacked")


def fit_fov_norm(dataset, keep):
    """gammapy's FoVBackgroundMaker fit of norm and tilt (reference 1 TeV) of one run.

    Returns
    -------
    fitted : MapDataset
        The dataset with its fitted ``FoVBackgroundModel``.
    values : dict
        ``norm``, ``norm_err``, ``tilt``, ``tilt_err`` (floats).
    """
    spectral = PowerLawNormSpectralModel()
    spectral.tilt.frozen = False
    maker = FoVBackgroundMaker(method="fit", exclusion_mask=keep, spectral_model=spectral)
    fitted = maker.run(dataset.copy(name=dataset.name))
    model = fitted.models[f"{fitted.name}-bkg"].spectral_model
    values = {"norm": model.norm.value, "norm_err": model.norm.error,
              "tilt": model.tilt.value, "tilt_err": model.tilt.error}
    return fitted, {key: float(value) for key, value in values.items()}


def significance_image(stacked, correlation_radius):
    """Energy-integrated Cash significance map of the stacked counts against the background
    (gammapy's ExcessMapEstimator, counts and background summed in a disk of
    ``correlation_radius`` around each pixel)."""
    energy = stacked.counts.geom.axes["energy"].edges
    estimator = ExcessMapEstimator(correlation_radius=correlation_radius, selection_optional=[],
                                   energy_edges=u.Quantity([energy[0], energy[-1]]))
    return estimator.run(stacked).sqrt_ts.reduce_over_axes()


def run_zenith_and_time(obs):
    """Zenith angle (deg) of the pointing and MJD at the run's mid time."""
    altaz = obs.get_pointing_altaz(obs.tmid)
    return 90.0 - float(altaz.alt.deg), float(obs.tmid.mjd)
