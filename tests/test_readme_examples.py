"""The seed README's examples, on the four H.E.S.S. DR1 Crab runs (coordinates, not names).

H.E.S.S. DL3 DR1 (CC BY 4.0): H.E.S.S. Collaboration, "H.E.S.S. first public test data
release", arXiv:1810.04516.
"""
import pickle

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

from baccmod import (BackgroundCollectionZenith, Grid3DAcceptanceMapCreator,
                     RadialAcceptanceMapCreator)

CRAB = SkyCoord(83.63308 * u.deg, 22.01450 * u.deg)
CRAB_RUNS = [23523, 23526, 23559, 23592]
EXCLUDE = [CircleSkyRegion(center=CRAB, radius=0.2 * u.deg)]
ENERGY = MapAxis.from_energy_bounds(0.1 * u.TeV, 10.0 * u.TeV, nbin=6, name="energy")
OFFSET = MapAxis.from_bounds(0.0 * u.deg, 2.5 * u.deg, nbin=6, name="offset")

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def crab_runs(hess_dr1):
    return hess_dr1.get_observations(CRAB_RUNS, required_irf=[])


def creator(cls=RadialAcceptanceMapCreator, **options):
    return cls(ENERGY, OFFSET, exclude_regions=EXCLUDE, oversample_map=10, **options)


def assert_per_run_models(models, kind="Background2D"):
    assert sorted(models) == CRAB_RUNS
    for model in models.values():
        assert type(model).__name__ == kind
        assert np.all(np.isfinite(model.data)) and model.data.max() > 0


def test_runwise_norm(crab_runs):
    maker = creator()
    assert_per_run_models(maker.create_acceptance_map_per_observation(crab_runs))
    assert np.all(maker.normalisation_table["FITTED"])


def test_zenith_binning_per_wobble_with_verbose(crab_runs, capsys):
    import matplotlib
    matplotlib.use("Agg")
    maker = creator(cos_zenith_binning_method="min_livetime_per_wobble",
                    cos_zenith_binning_parameter_value=3600, initial_cos_zenith_binning=0.01,
                    verbose=True)
    models = maker.create_acceptance_map_per_observation(crab_runs, zenith_binning=True)
    assert_per_run_models(models)
    assert "zenith bin: cos zenith" in capsys.readouterr().out


def test_zenith_interpolation(crab_runs):
    maker = creator(min_run_per_cos_zenith_bin=3, initial_cos_zenith_binning=0.01)
    models = maker.create_acceptance_map_per_observation(crab_runs, zenith_binning=True,
                                                         zenith_interpolation=True)
    assert_per_run_models(models)


def test_off_runs(crab_runs):
    on, off = crab_runs[:2], crab_runs[2:]
    maker = creator(min_run_per_cos_zenith_bin=1, initial_cos_zenith_binning=0.01)
    models = maker.create_acceptance_map_per_observation(on, off_observations=off,
                                                         zenith_binning=True,
                                                         zenith_interpolation=True)
    assert sorted(models) == CRAB_RUNS[:2]
    assert all(np.all(np.isfinite(m.data)) and m.data.max() > 0 for m in models.values())


def test_stored_model_with_pickle_then_applied_as_base_model(crab_runs, tmp_path):
    maker = creator(min_run_per_cos_zenith_bin=1, initial_cos_zenith_binning=0.01)
    base_model = maker.create_model_cos_zenith_binned(crab_runs)
    assert isinstance(base_model, BackgroundCollectionZenith) and len(base_model) >= 2
    path = tmp_path / "my_bkg_model.pck"
    with open(path, mode="wb") as f:
        pickle.dump(base_model, f)
    with open(path, mode="rb") as f:
        loaded = pickle.load(f)
    apply = RadialAcceptanceMapCreator(ENERGY, OFFSET, exclude_regions=EXCLUDE)
    models = apply.create_acceptance_map_per_observation(crab_runs, base_model=loaded,
                                                         zenith_binning=True,
                                                         zenith_interpolation=True)
    assert_per_run_models(models)
    # the same model from the FITS file
    base_model.write(tmp_path / "model.fits")
    again = apply.create_acceptance_map_per_observation(
        crab_runs, base_model=BackgroundCollectionZenith.read(tmp_path / "model.fits"),
        zenith_binning=True, zenith_interpolation=True)
    assert all(np.allclose(models[i].data, again[i].data, rtol=1e-12, atol=0)
               for i in CRAB_RUNS)


def test_mini_irf(crab_runs):
    maker = creator(min_run_per_cos_zenith_bin=1, initial_cos_zenith_binning=0.01,
                    use_mini_irf_computation=True, mini_irf_time_resolution=1.0 * u.min)
    models = maker.create_acceptance_map_per_observation(crab_runs, zenith_binning=True,
                                                         zenith_interpolation=True)
    assert_per_run_models(models)


def test_3d_per_run_models_with_normalisation_are_finite_and_not_zero(crab_runs):
    maker = creator(Grid3DAcceptanceMapCreator, min_run_per_cos_zenith_bin=2,
                    initial_cos_zenith_binning=0.01)
    models = maker.create_acceptance_map_per_observation(crab_runs, zenith_binning=True,
                                                         zenith_interpolation=True)
    assert_per_run_models(models, "Background3D")
    assert all(m.fov_alignment.name == "ALTAZ" for m in models.values())
    table = maker.normalisation_table
    assert np.all(table["FITTED"]) and np.all(np.isfinite(table["NORM"]))
    assert np.all(table["NORM"] > 0) and np.all(table["NORM_ERR"] < 0.1 * table["NORM"])
