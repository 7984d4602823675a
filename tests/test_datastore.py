"""write_datastore: background models into a new gammapy DataStore next to the original one."""
import hashlib
from pathlib import Path

import numpy as np
import pytest
from gammapy.data import DataStore
from gammapy.irf import Background2D, Background3D, FoVAlignment
from gammapy.maps import MapAxis

from baccmod import BaccmodValueError, BaccmodTypeError, write_datastore
from baccmod import datastore as datastore_module
from baccmod.collection import BackgroundCollectionZenith

ENERGY = MapAxis.from_energy_bounds(0.5, 50, 4, unit="TeV", name="energy")
FOV = MapAxis.from_bounds(-2, 2, 8, unit="deg", name="fov_lon")


def model_3d(seed):
    data = np.random.default_rng(seed).uniform(1e-6, 1e-4, (ENERGY.nbin, FOV.nbin, FOV.nbin))
    return Background3D(axes=[ENERGY, FOV, FOV.copy(name="fov_lat")], data=data,
                        unit="s-1 MeV-1 sr-1", fov_alignment=FoVAlignment.ALTAZ)


def file_hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in Path(folder).glob("*index*")}


@pytest.fixture(scope="module")
def dr1_ids(hess_dr1):
    return [int(i) for i in hess_dr1.obs_table["OBS_ID"][:3]]


@pytest.fixture(scope="module")
def dr1_models(dr1_ids):
    """Two runs sharing one model, the third its own."""
    shared = model_3d(1)
    return {dr1_ids[0]: shared, dr1_ids[1]: shared, dr1_ids[2]: model_3d(2)}


@pytest.mark.realdata
def test_gammapy_reads_each_runs_model_back_as_its_bkg(hess_dr1, dr1_ids, dr1_models,
                                                       tmp_path):
    before = file_hashes(hess_dr1.hdu_table.base_dir)
    out = write_datastore(dr1_models, hess_dr1, tmp_path / "store")
    assert out == tmp_path / "store"
    observations = DataStore.from_dir(out).get_observations(dr1_ids)
    for obs in observations:
        model = dr1_models[int(obs.obs_id)]
        assert obs.bkg.unit == model.unit
        np.testing.assert_array_equal(obs.bkg.data, model.data)
        assert all(a.is_allclose(b) for a, b in zip(obs.bkg.axes, model.axes))
    assert file_hashes(hess_dr1.hdu_table.base_dir) == before


@pytest.mark.realdata
def test_warns_that_gammapy_reads_dr1_3d_models_as_radec_aligned(hess_dr1, dr1_ids,
                                                                 dr1_models, tmp_path, caplog):
    out = write_datastore(dr1_models, hess_dr1, tmp_path / "store")
    warning = [r.getMessage() for r in caplog.records if r.name == "baccmod.datastore"]
    assert len(warning) == 1 and str(dr1_ids) in warning[0]
    assert "REVERSE_LON_RADEC" in warning[0] and "Background2D" in warning[0]
    # what the warning is about: gammapy's reading, not the file
    assert DataStore.from_dir(out).obs(dr1_ids[0]).bkg.fov_alignment \
        == FoVAlignment.REVERSE_LON_RADEC
    from gammapy.irf import Background3D
    on_disk = Background3D.read(next((out / "bkg").glob("*.fits")), hdu="BACKGROUND")
    assert on_disk.fov_alignment == FoVAlignment.ALTAZ


@pytest.mark.realdata
def test_events_and_irfs_are_the_original_files_by_relative_paths(hess_dr1, dr1_ids,
                                                                  dr1_models, tmp_path):
    out = write_datastore(dr1_models, hess_dr1, tmp_path / "store")
    store = DataStore.from_dir(out)
    originals = hess_dr1.get_observations(dr1_ids)
    for obs, original in zip(store.get_observations(dr1_ids), originals):
        assert len(obs.events.table) == len(original.events.table)
        np.testing.assert_array_equal(obs.aeff.data, original.aeff.data)
    not_bkg = store.hdu_table[store.hdu_table["HDU_TYPE"] != "bkg"]
    assert not any(Path(d).is_absolute() for d in not_bkg["FILE_DIR"])
    assert sorted(store.obs_table["OBS_ID"]) == dr1_ids


@pytest.mark.realdata
def test_one_file_per_distinct_model(hess_dr1, dr1_models, tmp_path):
    out = write_datastore(dr1_models, hess_dr1, tmp_path / "store")
    assert len(list((out / "bkg").glob("*.fits"))) == 2


@pytest.mark.realdata
def test_data_store_given_as_its_folder(hess_dr1, dr1_ids, dr1_models, tmp_path):
    out = write_datastore(dr1_models, hess_dr1.hdu_table.base_dir, tmp_path / "store")
    obs = DataStore.from_dir(out).obs(dr1_ids[2])
    np.testing.assert_array_equal(obs.bkg.data, dr1_models[dr1_ids[2]].data)


@pytest.mark.realdata
def test_existing_out_dir_refused_unless_overwrite(hess_dr1, dr1_ids, dr1_models, tmp_path):
    out = tmp_path / "store"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(BaccmodValueError, match="exists.*overwrite=True"):
        write_datastore(dr1_models, hess_dr1, out)
    assert (out / "old.txt").exists()
    write_datastore(dr1_models, hess_dr1, out, overwrite=True)
    assert not (out / "old.txt").exists()
    assert len(DataStore.from_dir(out).obs_table) == len(dr1_ids)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


@pytest.mark.realdata
def test_out_dir_holding_the_original_store_refused(hess_dr1, dr1_models):
    before = file_hashes(hess_dr1.hdu_table.base_dir)
    base = Path(hess_dr1.hdu_table.base_dir)
    for out in (base, base.parent):
        with pytest.raises(BaccmodValueError, match="original data store"):
            write_datastore(dr1_models, hess_dr1, out, overwrite=True)
    assert file_hashes(base) == before


@pytest.mark.realdata
def test_failed_write_leaves_nothing(hess_dr1, dr1_models, tmp_path, monkeypatch):
    def broken(models, folder):
        (folder / "partial.fits").write_text("half")
        raise OSError("disk full")
    monkeypatch.setattr(datastore_module, "_write_model_files", broken)
    with pytest.raises(OSError, match="disk full"):
        write_datastore(dr1_models, hess_dr1, tmp_path / "store")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.realdata
def test_run_missing_from_the_store_named(hess_dr1, dr1_ids, dr1_models, tmp_path):
    models = dict(dr1_models)
    models[999999] = model_3d(3)
    with pytest.raises(BaccmodValueError, match=r"runs \[999999\].*not in the data store"):
        write_datastore(models, hess_dr1, tmp_path / "store")
    assert not (tmp_path / "store").exists()


@pytest.mark.realdata
@pytest.mark.parametrize("models, message", [
    ({}, "models is empty"),
    ([1, 2], "models must be a dict"),
    ({"run": model_3d(1)}, "not an observation id"),
])
def test_bad_models_refused(hess_dr1, tmp_path, models, message):
    with pytest.raises((BaccmodValueError, BaccmodTypeError), match=message):
        write_datastore(models, hess_dr1, tmp_path / "store")


@pytest.mark.realdata
def test_model_not_an_irf_named(hess_dr1, dr1_ids, tmp_path):
    with pytest.raises(BaccmodTypeError, match=rf"models\[{dr1_ids[0]}\] is a ndarray"):
        write_datastore({dr1_ids[0]: np.ones(3)}, hess_dr1, tmp_path / "store")


def test_missing_data_store_folder_named(tmp_path):
    with pytest.raises(BaccmodValueError, match="is not a folder"):
        write_datastore({1: model_3d(1)}, tmp_path / "nowhere", tmp_path / "store")


# --- zenith collections, expanded per run ---------------------------------------------------

@pytest.fixture(scope="module")
def zenith_store(tmp_path_factory):
    from zenith_simulation import simulate
    folder = tmp_path_factory.mktemp("zenith_store")
    simulate(folder, n_runs=4)
    return DataStore.from_dir(folder)


def collection_30_60():
    """Background2D models at zenith 30 deg (rate 1x) and 60 deg (rate 2x)."""
    from zenith_simulation import base_background
    base = base_background()
    return base, BackgroundCollectionZenith({
        30.0: base, 60.0: Background2D(axes=base.axes, data=2 * base.data, unit=base.unit)})


def mid_run_zenith(obs):
    """Zenith (deg) of the pointing at the middle of the run, by gammapy and astropy."""
    middle = obs.tstart + (obs.tstop - obs.tstart) / 2
    return 90 - obs.get_pointing_altaz(middle).alt.deg


def test_collection_expanded_to_each_runs_closest_model(zenith_store, tmp_path):
    base, collection = collection_30_60()
    observations = zenith_store.get_observations(required_irf=[])
    out = write_datastore(collection, zenith_store, tmp_path / "store",
                          observations=observations, zenith_interpolation=False)
    written = DataStore.from_dir(out)
    for obs in observations:
        zenith = mid_run_zenith(obs)
        if abs(zenith - 45) < 1:
            continue
        expected = 1 if zenith < 45 else 2
        ratio = written.obs(obs.obs_id, required_irf=["bkg"]).bkg.data / base.data
        np.testing.assert_allclose(ratio, expected, rtol=1e-12)


def test_collection_interpolated_between_its_zeniths(zenith_store, tmp_path):
    base, collection = collection_30_60()
    observations = zenith_store.get_observations(required_irf=[])
    out = write_datastore(collection, zenith_store, tmp_path / "store",
                          observations=observations)
    written = DataStore.from_dir(out)
    zeniths, ratios = [], []
    for obs in observations:
        ratio = written.obs(obs.obs_id, required_irf=["bkg"]).bkg.data / base.data
        np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-10)
        zeniths.append(mid_run_zenith(obs))
        ratios.append(ratio.flat[0])
    order = np.argsort(zeniths)
    assert np.all(np.diff(np.array(ratios)[order]) > 0)
    assert 1 < min(ratios) and max(ratios) < 2


def test_collection_without_observations_refused(zenith_store, tmp_path):
    with pytest.raises(BaccmodValueError, match="observations="):
        write_datastore(collection_30_60()[1], zenith_store, tmp_path / "store")


def test_collection_write_leaves_zenith_store_untouched(zenith_store, tmp_path):
    before = file_hashes(zenith_store.hdu_table.base_dir)
    observations = zenith_store.get_observations(required_irf=[])
    write_datastore(collection_30_60()[1], zenith_store, tmp_path / "store",
                    observations=observations, zenith_interpolation=False)
    assert file_hashes(zenith_store.hdu_table.base_dir) == before


# --- models gammapy would read as nonsense ---------------------------------------------------

def test_a_model_gammapy_overreads_is_reported_naming_its_runs(zenith_store, tmp_path, caplog):
    from zenith_simulation import base_background
    base = base_background()
    sparse = base.data.copy()
    sparse[-2, 1] = 0.0  # gammapy extrapolates the last bin from a zero and a positive centre
    models = {1: base, 2: Background2D(axes=base.axes, data=sparse, unit=base.unit)}
    read = models[2].integrate_log_log(axis_name="energy",
                                       energy=base.axes["energy"].edges[:, None],
                                       offset=base.axes["offset"].center)
    bin_means = sparse * base.axes["energy"].bin_width.to_value("MeV")[:, None]
    assert read.to_value("s-1 sr-1")[-1, 1] > 1e10 * bin_means[-1].max()  # gammapy's nonsense
    with caplog.at_level("WARNING", logger="baccmod"):
        write_datastore(models, zenith_store, tmp_path / "store")
    warnings = [r.getMessage() for r in caplog.records if "gammapy reads as nonsense" in
                r.getMessage()]
    assert len(warnings) == 1 and "runs [2]" in warnings[0]
