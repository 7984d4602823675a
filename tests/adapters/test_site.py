"""Every way of giving the observatory site works on file-backed DR1 runs, in a fixed order:
``location=`` > the observation's ``_location`` > event header GEOLON/GEOLAT > observation index.

The 3D model is AltAz-aligned, so it depends on the site: a model built with another site
differs, which shows which site was used.
"""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import EarthLocation
from astropy.io import fits
from astropy.table import Table
from gammapy.maps import MapAxis

from baccmod import Grid3DAcceptanceMapCreator, MissingLocationError, RadialAcceptanceMapCreator

pytestmark = pytest.mark.realdata

OBS_IDS = [23523, 23526]  # Crab runs of the DR1
# the DR1 event headers' site (GEOLON/GEOLAT/ALTITUDE), given as coordinates
HESS = EarthLocation(lon=16.5002222222222 * u.deg, lat=-23.2717777777778 * u.deg,
                     height=1835 * u.m)
ELSEWHERE = EarthLocation(lon=-17.8920 * u.deg, lat=28.7622 * u.deg, height=2200 * u.m)
ENERGY = MapAxis.from_energy_bounds(0.3, 10, 3, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]


def build(creator, observations, **options):
    return creator(ENERGY, OFFSET, oversample_map=2, **options).create_model(observations).data


@pytest.fixture(scope="module")
def header_models(hess_dr1):
    """The models with the site of the event headers (nothing else given)."""
    return {creator: build(creator, hess_dr1.get_observations(OBS_IDS, required_irf=[]))
            for creator in CREATORS}


def fresh_runs(store):
    return store.get_observations(OBS_IDS, required_irf=[])


@pytest.mark.parametrize("creator", CREATORS)
def test_site_on_the_observation(creator, hess_dr1, header_models):
    runs = fresh_runs(hess_dr1)
    for run in runs:
        run._location = HESS
    assert np.allclose(build(creator, runs), header_models[creator], rtol=1e-9, atol=0)


@pytest.mark.parametrize("creator", CREATORS)
def test_site_by_location_argument(creator, hess_dr1, header_models):
    model = build(creator, fresh_runs(hess_dr1), location=HESS)
    assert np.allclose(model, header_models[creator], rtol=1e-9, atol=0)


def test_another_site_on_the_observation_is_used(hess_dr1, header_models):
    runs = fresh_runs(hess_dr1)
    for run in runs:
        run._location = ELSEWHERE
    model = build(Grid3DAcceptanceMapCreator, runs)
    assert not np.allclose(model, header_models[Grid3DAcceptanceMapCreator], rtol=1e-3)
    assert np.allclose(model, build(Grid3DAcceptanceMapCreator, fresh_runs(hess_dr1),
                                    location=ELSEWHERE), rtol=1e-9, atol=0)


def test_location_argument_overrides_the_observation(hess_dr1, header_models):
    runs = fresh_runs(hess_dr1)
    for run in runs:
        run._location = ELSEWHERE
    model = build(Grid3DAcceptanceMapCreator, runs, location=HESS)
    assert np.allclose(model, header_models[Grid3DAcceptanceMapCreator], rtol=1e-9, atol=0)


def copy_runs_without_header_site(hess_dr1, folder, site_in_index):
    """A data store in ``folder`` with the DR1 runs, their event headers stripped of
    GEOLON/GEOLAT/ALTITUDE; the observation index keeps the site only if ``site_in_index``."""
    from gammapy.data import DataStore
    hdu_index = Table(hess_dr1.hdu_table)
    hdu_index = hdu_index[np.isin(hdu_index["OBS_ID"], OBS_IDS)]
    for name in set(hdu_index["FILE_NAME"]):
        source = hess_dr1.hdu_table.base_dir / "data" / name
        with fits.open(source) as hdus:
            for key in ("GEOLON", "GEOLAT", "ALTITUDE"):
                hdus["EVENTS"].header.remove(key, ignore_missing=True)
            hdus.writeto(folder / name)
    hdu_index["FILE_DIR"] = "."
    hdu_index.meta["BASE_DIR"] = str(folder)
    hdu_index.write(folder / "hdu-index.fits.gz")
    obs_index = Table(hess_dr1.obs_table)
    obs_index = obs_index[np.isin(obs_index["OBS_ID"], OBS_IDS)]
    if not site_in_index:
        for key in ("GEOLON", "GEOLAT", "ALTITUDE"):
            obs_index.meta.pop(key, None)
    obs_index.write(folder / "obs-index.fits.gz")
    return DataStore.from_dir(folder)


@pytest.mark.parametrize("creator", CREATORS)
def test_site_from_the_observation_index(creator, hess_dr1, header_models, tmp_path):
    store = copy_runs_without_header_site(hess_dr1, tmp_path, site_in_index=True)
    runs = store.get_observations(OBS_IDS, required_irf=[])
    assert "GEOLON" not in runs[0].events.table.meta
    assert np.allclose(build(creator, runs), header_models[creator], rtol=1e-9, atol=0)


def test_no_site_anywhere_names_the_run_and_the_fix(hess_dr1, tmp_path):
    store = copy_runs_without_header_site(hess_dr1, tmp_path, site_in_index=False)
    runs = store.get_observations(OBS_IDS, required_irf=[])
    with pytest.raises(MissingLocationError, match=rf"run {OBS_IDS[0]}.*location="):
        build(Grid3DAcceptanceMapCreator, runs)
    model = build(Grid3DAcceptanceMapCreator, runs, location=HESS)
    assert np.all(np.isfinite(model)) and model.sum() > 0
