"""Background models into a gammapy DataStore.

:func:`write_datastore` writes one FITS file per distinct model and a new HDU index and
observation index in a new folder. The indexes point at the original event and IRF files
(relative paths where possible) and at the new ``bkg`` HDUs, so that
``DataStore.from_dir(out_dir).get_observations()`` gives the runs with the models as their
``bkg``. The original data store is only read. The folder is written under a temporary name
next to ``out_dir`` and renamed when complete, so a failed write leaves no half data store.
"""
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from astropy.io import fits

from .collection import BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth
from .errors import BaccmodTypeError, BaccmodValueError

log = logging.getLogger(__name__)

#: Folder of the model files inside ``out_dir``.
MODEL_DIR = "bkg"
#: Gammapy's HDU class of each background IRF type.
HDU_CLASSES = {"Background2D": "bkg_2d", "Background3D": "bkg_3d"}
#: Index table keywords set by gammapy on reading, not to be written.
_READ_ONLY_META = ("BASE_DIR",)


def write_datastore(models, data_store, out_dir, overwrite=False, *, observations=None,
                    zenith_interpolation=True):
    """Write background models with the runs of a data store into a new data store.

    Parameters
    ----------
    models : dict or zenith collection
        ``dict`` obs_id -> ``Background2D``/``Background3D`` (runs sharing one model object
        share one file), or a :class:`~baccmod.collection.BackgroundCollectionZenith` /
        ``BackgroundCollectionZenithSplitAzimuth`` expanded per run of ``observations``.
    data_store : gammapy.data.DataStore, str or Path
        The original data store (or its folder); never modified.
    out_dir : str or Path
        Folder of the new data store.
    overwrite : bool
        Replace an existing ``out_dir``; otherwise it is refused.
    observations : gammapy.data.Observations or list of Observation, optional
        Required with a collection: the runs whose zenith picks their model.
    zenith_interpolation : bool
        With a collection: interpolate it in cos(zenith) (else the closest bin's model).

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    store = _data_store(data_store)
    out_dir = Path(out_dir).absolute()
    _check_out_dir(out_dir, Path(store.hdu_table.base_dir).absolute(), overwrite)
    per_run = _per_run_models(models, observations, zenith_interpolation)
    _check_runs_in_store(per_run, store)
    _warn_gammapy_alignment_override(per_run, store)
    _warn_gammapy_overreading(per_run)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    try:
        _write_contents(per_run, store, staging, out_dir)
        _replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("wrote %d runs with %d background files to %s", len(per_run),
             len({id(m) for m in per_run.values()}), out_dir)
    return out_dir


def _warn_gammapy_overreading(per_run):
    """Warn, per distinct model, when gammapy would read some of its bins as nonsense (see
    :func:`baccmod.adapters.irf.gammapy_overread_bins`), naming its runs and the fix."""
    from .adapters.irf import gammapy_overread_bins
    runs_of = {}
    for obs_id, model in per_run.items():
        runs_of.setdefault(id(model), (model, []))[1].append(obs_id)
    for model, obs_ids in runs_of.values():
        count, energies = gammapy_overread_bins(model)
        if count:
            ranges = ", ".join(f"{low:.3g}-{high:.3g}" for low, high in energies)
            log.warning(
                "the model of runs %s has %d bins that gammapy reads as nonsense (its log-log "
                "interpolation overflows next to zero-rate bins; in %s TeV): their predicted "
                "counts will be wrong by orders of magnitude. Give the model fewer or wider "
                "bins there (a coarser energy or offset axis, dynamic_energy_axis=True), a "
                "fitted model, or a safe energy range that leaves those bins out.",
                obs_ids, count, ranges)


def _data_store(data_store):
    from gammapy.data import DataStore
    if isinstance(data_store, DataStore):
        return data_store
    if isinstance(data_store, (str, os.PathLike)):
        path = Path(data_store)
        if not path.is_dir():
            raise BaccmodValueError(f"data_store {str(path)!r} is not a folder: give the "
                                    "folder holding hdu-index.fits.gz and obs-index.fits.gz.")
        return DataStore.from_dir(path)
    raise BaccmodTypeError(f"data_store must be a gammapy DataStore or a folder, not "
                           f"{type(data_store).__name__}.")


def _check_out_dir(out_dir, store_dir, overwrite):
    """Refuse an existing ``out_dir`` without ``overwrite``, and any ``out_dir`` whose
    replacement would remove the original data store."""
    if out_dir == store_dir or out_dir in store_dir.parents:
        raise BaccmodValueError(
            f"out_dir {str(out_dir)!r} holds the original data store {str(store_dir)!r}: "
            "give a new folder (the original data store is never modified).")
    if out_dir.exists() and not overwrite:
        raise BaccmodValueError(f"out_dir {str(out_dir)!r} exists: give a new folder or "
                                "overwrite=True to replace it.")
    if out_dir.exists() and not out_dir.is_dir():
        raise BaccmodValueError(f"out_dir {str(out_dir)!r} is a file, not a folder.")


def _per_run_models(models, observations, zenith_interpolation):
    """``dict`` obs_id (int) -> IRF of a per-run dict or of a collection and runs."""
    from gammapy.irf import Background2D, Background3D
    if isinstance(models, (BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth)):
        return _expanded(models, observations, zenith_interpolation)
    if not isinstance(models, dict):
        raise BaccmodTypeError(
            f"models must be a dict obs_id -> Background2D/Background3D or a zenith "
            f"collection, not {type(models).__name__}.")
    if not models:
        raise BaccmodValueError("models is empty: give at least one run's model.")
    if observations is not None:
        log.warning("observations are only used to expand a zenith collection: ignored for "
                    "a dict of models.")
    checked = {}
    for obs_id, model in models.items():
        if not isinstance(model, (Background2D, Background3D)):
            raise BaccmodTypeError(f"models[{obs_id!r}] is a {type(model).__name__}, not a "
                                   "Background2D or Background3D.")
        checked[_obs_id(obs_id)] = model
    return checked


def _obs_id(obs_id):
    try:
        value = int(obs_id)
    except (TypeError, ValueError):
        value = None
    if value is None or value != obs_id:
        raise BaccmodTypeError(f"models key {obs_id!r} is not an observation id (int).")
    return value


def _expanded(collection, observations, zenith_interpolation):
    """Each run's model from a collection, as the per-run models of the creators make it
    (mean over the run's zenith track; not normalised)."""
    from .build import build_per_run_models
    if observations is None:
        raise BaccmodValueError(
            "models is a zenith collection: also give observations= (the runs to write), "
            "whose zenith picks each run's model.")
    models, _, _, _ = build_per_run_models(observations, _spec_of(collection),
                                           zenith_interpolation=zenith_interpolation,
                                           runwise_normalisation=False, base_model=collection)
    return models


def _spec_of(collection):
    """A :class:`~baccmod.build.ModelSpec` on the axes of a collection's models."""
    from gammapy.irf import Background2D
    from gammapy.maps import MapAxis

    from .build import ModelSpec, _labelled_models
    from .geometry import GridGeometry, RadialGeometry
    labelled = _labelled_models(collection)
    if not labelled:
        raise BaccmodValueError("models is a zenith collection holding no model.")
    model = labelled[0][1]
    energy = model.axes["energy"]
    if isinstance(model, Background2D):
        return ModelSpec(RadialGeometry(model.axes["offset"], 1), energy, energy)
    lon = model.axes["fov_lon"].edges
    offset = MapAxis.from_edges(lon[lon.size // 2:], name="offset")
    return ModelSpec(GridGeometry(offset, 1), energy, energy)


def _check_runs_in_store(models, store):
    known = set(np.asarray(store.obs_table["OBS_ID"]).tolist())
    missing = sorted(set(models) - known)
    if missing:
        raise BaccmodValueError(
            f"runs {missing} have a model but are not in the data store "
            f"{store.hdu_table.base_dir}: give models of runs of this data store "
            "(or the data store these runs come from).")
    events = store.hdu_table[store.hdu_table["HDU_TYPE"] == "events"]
    without = sorted(set(models) - set(np.asarray(events["OBS_ID"]).tolist()))
    if without:
        raise BaccmodValueError(
            f"runs {without} have no events HDU in the HDU index of {store.hdu_table.base_dir}: "
            "a data store with their events is needed.")


def _warn_gammapy_alignment_override(models, store):
    """Warn when gammapy will read an AltAz-aligned 3D model as RA/Dec-aligned.

    gammapy's ``Observation.bkg`` sets ``REVERSE_LON_RADEC`` on the ``bkg`` of runs whose
    events header has the H.E.S.S. DR1 writer (``CREATOR``/``HDUVERS`` below), whatever the
    model file says; it cannot be undone from the index files.
    """
    from gammapy.irf import Background3D, FoVAlignment
    altaz = [obs_id for obs_id, model in models.items()
             if isinstance(model, Background3D) and model.fov_alignment == FoVAlignment.ALTAZ]
    overridden = [obs_id for obs_id in altaz if _has_dr1_writer(store, obs_id)]
    if overridden:
        log.warning(
            "runs %s: gammapy's Observation.bkg reads the bkg of runs written by %r "
            "(HDUVERS 0.2) as REVERSE_LON_RADEC-aligned, so these AltAz-aligned 3D models "
            "will be oriented wrongly in gammapy's maps (it does so on every read of obs.bkg): "
            "use radial (Background2D) models for these runs.", overridden, _DR1_WRITER[0])


#: (CREATOR, HDUVERS) of the events header for which gammapy overrides the bkg alignment.
_DR1_WRITER = ("SASH FITS::EventListWriter", "0.2")


def _has_dr1_writer(store, obs_id):
    location = store.hdu_table.hdu_location(obs_id, hdu_type="events")
    header = fits.getheader(location.path(), location.hdu_name)
    return (header.get("CREATOR"), header.get("HDUVERS")) == _DR1_WRITER


def _write_contents(models, store, folder, out_dir):
    """Model files and both indexes into ``folder``, whose paths are written as if it were
    ``out_dir`` (the folder it is renamed to)."""
    (folder / MODEL_DIR).mkdir()
    files = _write_model_files(models, folder / MODEL_DIR)
    obs_ids = sorted(models)
    _hdu_index(store, obs_ids, files, models, out_dir).write(folder / "hdu-index.fits.gz")
    _obs_index(store, obs_ids).write(folder / "obs-index.fits.gz")


def _write_model_files(models, folder):
    """One file per distinct model object; returns obs_id -> file name."""
    names, files = {}, {}
    for obs_id in sorted(models):
        model = models[obs_id]
        if id(model) not in names:
            names[id(model)] = f"bkg_obs_{obs_id:06d}.fits"
            hdu = model.to_table_hdu()
            hdu.name = "BACKGROUND"
            fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(folder / names[id(model)])
        files[obs_id] = names[id(model)]
    return files


def _hdu_index(store, obs_ids, files, models, out_dir):
    """The original HDU rows of the runs (their ``bkg`` rows dropped) with directories
    relative to ``out_dir``, plus one ``bkg`` row per run."""
    from gammapy.data import HDUIndexTable
    table = store.hdu_table
    keep = np.isin(table["OBS_ID"], obs_ids) & (np.char.strip(
        np.asarray(table["HDU_TYPE"]).astype(str)) != "bkg")
    rows = table[keep]
    base = Path(table.base_dir).absolute()
    directories = [_relative_dir(base / str(d).strip(), out_dir) for d in rows["FILE_DIR"]]
    new = HDUIndexTable(rows.copy(copy_data=True))
    new.remove_column("FILE_DIR")
    new.add_column(directories, name="FILE_DIR", index=rows.colnames.index("FILE_DIR"))
    for obs_id in obs_ids:
        row = {name: _blank(new[name]) for name in new.colnames}
        row.update(OBS_ID=obs_id, HDU_TYPE="bkg",
                   HDU_CLASS=HDU_CLASSES[type(models[obs_id]).__name__], FILE_DIR=MODEL_DIR,
                   FILE_NAME=files[obs_id], HDU_NAME="BACKGROUND")
        new.add_row([row[name] for name in new.colnames])
    new.sort(["OBS_ID", "HDU_TYPE"])
    _strip_read_meta(new)
    return new


def _blank(column):
    """The empty value of a column's type (for the columns a bkg row does not fill)."""
    kind = column.dtype.kind
    return "" if kind in "US" else 0 if kind in "iub" else np.nan if kind == "f" else None


def _relative_dir(directory, out_dir):
    """``directory`` relative to ``out_dir`` when it can be (same drive), else absolute."""
    try:
        return Path(os.path.relpath(directory, out_dir)).as_posix()
    except ValueError:
        return directory.as_posix()


def _obs_index(store, obs_ids):
    from gammapy.data import ObservationTable
    table = store.obs_table
    rows = ObservationTable(table[np.isin(table["OBS_ID"], obs_ids)].copy(copy_data=True))
    _strip_read_meta(rows)
    return rows


def _strip_read_meta(table):
    for key in _READ_ONLY_META:
        table.meta.pop(key, None)


def _replace(staging, out_dir):
    """Rename the complete ``staging`` folder to ``out_dir``, replacing an old one."""
    staging.chmod(0o755)
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except BaseException:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
