"""What ``baccmod build`` and ``baccmod validate`` do with a :class:`~baccmod.config.BaccmodConfig`:
select runs, read exclusions and axes, build per-run models with a creator, write them.
"""
import logging

import numpy as np
from astropy import units as u

from .errors import BaccmodValueError

log = logging.getLogger(__name__)

CREATORS = {"radial": ("baccmod.api", "RadialAcceptanceMapCreator"),
            "3d": ("baccmod.api", "Grid3DAcceptanceMapCreator"),
            "fit": ("baccmod.fit_acceptance_map_creator", "FitAcceptanceMapCreator")}

#: Format of a regions file by its suffix (others are read as DS9).
REGION_FORMATS = {".reg": "ds9", ".crtf": "crtf", ".fits": "fits"}


def selected_obs_ids(store, selection, key):
    """Run ids of a data store passing a :class:`~baccmod.config.RunSelection` (all its
    cuts); ``key`` names the config section in messages."""
    from astropy.coordinates import SkyCoord
    table = store.obs_table
    keep = np.ones(len(table), dtype=bool)
    if selection.obs_ids is not None:
        missing = sorted(set(selection.obs_ids) - set(np.asarray(table["OBS_ID"]).tolist()))
        if missing:
            raise BaccmodValueError(f"{key}.obs_ids: runs {missing} are not in the data "
                                    f"store {selection.datastore}.")
        keep &= np.isin(table["OBS_ID"], selection.obs_ids)
    if selection.cone is not None:
        cone = selection.cone
        pointings = SkyCoord(table["RA_PNT"], table["DEC_PNT"], unit="deg")
        keep &= pointings.separation(SkyCoord(cone.ra, cone.dec)) < cone.radius
    if selection.zenith_range is not None:
        zenith = u.Quantity(table["ZEN_PNT"], "deg")
        keep &= (zenith >= selection.zenith_range[0]) & (zenith < selection.zenith_range[1])
    if selection.target is not None:
        names = np.char.strip(np.asarray(table["OBJECT"]).astype(str))
        keep &= names == selection.target.strip()
    obs_ids = [int(i) for i in table["OBS_ID"][keep]]
    if not obs_ids:
        raise BaccmodValueError(f"{key}: no run of {selection.datastore} passes the "
                                "selection (obs_ids, cone, zenith_range, target): loosen it.")
    return obs_ids


def target_circles(datastore, obs_ids, radius):
    """Exclusion circles of ``radius`` (angle Quantity) around the targets of the runs (their
    RA_OBJ, DEC_OBJ in the data store's observation index), each target once: a list of
    (ra, dec, radius) Quantities."""
    from gammapy.data import DataStore
    table = DataStore.from_dir(datastore).obs_table
    if not {"RA_OBJ", "DEC_OBJ"} <= set(table.colnames):
        raise BaccmodValueError(f"the observation index of {datastore} has no RA_OBJ/DEC_OBJ "
                                "columns: give the exclusion circles in the config instead.")
    rows = table[np.isin(table["OBS_ID"], obs_ids)]
    positions = np.unique(np.round(np.stack([np.asarray(rows["RA_OBJ"], float),
                                             np.asarray(rows["DEC_OBJ"], float)], axis=1), 5),
                          axis=0)
    return [(ra * u.deg, dec * u.deg, radius) for ra, dec in positions
            if np.isfinite(ra) and np.isfinite(dec)]


def exclusion_list(exclusions):
    """Regions and mask maps of the ``exclusions`` section (for ``exclude_regions``)."""
    from astropy.coordinates import SkyCoord
    from regions import CircleSkyRegion
    items = [CircleSkyRegion(SkyCoord(c.ra, c.dec), c.radius) for c in exclusions.circles]
    if exclusions.regions_file is not None:
        from regions import Regions
        path = exclusions.regions_file
        region_format = REGION_FORMATS.get(path.suffix.lower(), "ds9")
        items.extend(_read_input(lambda p: Regions.read(p, format=region_format), path,
                                 "exclusions.regions_file", "a regions file"))
    if exclusions.mask_file is not None:
        from gammapy.maps import Map
        items.append(_read_input(Map.read, exclusions.mask_file, "exclusions.mask_file",
                                 "a gammapy map"))
    return items


def _read_input(reader, path, key, what):
    """``reader(path)``; any failure as a BaccmodValueError naming the config key."""
    try:
        return reader(path)
    except Exception as error:
        raise BaccmodValueError(f"{key}: {path} could not be read as {what} "
                                f"({error}).") from None


def energy_axis(section):
    from gammapy.maps import MapAxis
    low, high = section.min.to(u.TeV), section.max.to(u.TeV)
    return MapAxis.from_energy_bounds(low.value, high.value, section.nbin, unit="TeV",
                                      per_decade=section.per_decade, name="energy")


def offset_axis(section):
    from gammapy.maps import MapAxis
    return MapAxis.from_bounds(0, section.max.to_value(u.deg), section.nbin, unit="deg",
                               name="offset")


def creator(config):
    """The creator of ``model.kind`` with every option of the config (checked by it)."""
    import importlib
    module, name = CREATORS[config.model.kind]
    axes = config.axes
    computation = None if axes.energy_computation is None \
        else energy_axis(axes.energy_computation)
    return getattr(importlib.import_module(module), name)(
        energy_axis(axes.energy), offset_axis(axes.offset),
        energy_axis_computation=computation, exclude_regions=exclusion_list(config.exclusions),
        **config.creator_options())


def build(config):
    """Build the models of a config and write its outputs; returns the paths written."""
    from gammapy.data import DataStore

    from .datastore import write_datastore
    outputs = config.outputs
    if outputs.datastore is None and outputs.collection is None:
        raise BaccmodValueError("outputs: give outputs.datastore and/or outputs.collection "
                                "(nothing would be written).")
    maker = creator(config)  # options checked before any run is read
    for key, path in (("outputs.datastore", outputs.datastore),
                      ("outputs.collection", outputs.collection)):
        if path is not None and path.exists() and not outputs.overwrite:
            raise BaccmodValueError(f"{key}: {path} exists: set outputs.overwrite: true to "
                                    "replace it, or give a new path.")
    store = DataStore.from_dir(config.data.datastore)
    observations = store.get_observations(selected_obs_ids(store, config.data, "data"),
                                          required_irf=[])
    off = None
    if config.off_runs is not None:
        off_store = DataStore.from_dir(config.off_runs.datastore)
        off = off_store.get_observations(
            selected_obs_ids(off_store, config.off_runs, "off_runs"), required_irf=[])
    written, base = [], None
    if outputs.collection is not None:
        base = maker.create_acceptance_model(off if off is not None else observations,
                                             zenith_binning=True)
        base.write(outputs.collection, overwrite=outputs.overwrite)
        written.append(outputs.collection)
    if outputs.datastore is not None:
        zenith = config.zenith
        models = maker.create_acceptance_map_per_observation(
            observations, zenith_binning=zenith.binning,
            zenith_interpolation=zenith.interpolation,
            runwise_normalisation=config.normalisation.runwise, off_observations=off,
            base_model=base)
        written.append(write_datastore(models, store, outputs.datastore, outputs.overwrite))
        if len(maker.normalisation_table):
            maker.normalisation_table.write(outputs.datastore / "normalisation.ecsv",
                                            overwrite=True)
    return written


def validate(config):
    """Run :func:`baccmod.validation.validate` on the data store ``build`` wrote."""
    from gammapy.data import DataStore

    from .adapters.irf import background_as_written
    try:
        from .validation import validate as validation_report
    except ImportError as error:
        raise BaccmodValueError(f"baccmod.validation is not available ({error}).") from None
    folder = config.outputs.datastore
    if folder is None or not (folder / "hdu-index.fits.gz").exists():
        raise BaccmodValueError(f"outputs.datastore: no data store at {folder}: run "
                                "`baccmod build CONFIG` first.")
    if config.validation.out_dir is None:
        raise BaccmodValueError("validation.out_dir: give the folder of the report.")
    store = DataStore.from_dir(folder)
    observations = store.get_observations(required_irf=["bkg"])
    models = {int(obs.obs_id): background_as_written(obs) for obs in observations}
    return validation_report(observations, models, exclusion_list(config.exclusions),
                             config.validation.out_dir,
                             energy_axis=energy_axis(config.axes.energy),
                             offset_axis=offset_axis(config.axes.offset))
