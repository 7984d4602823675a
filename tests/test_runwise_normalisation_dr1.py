"""Issue 9: after normalising in 1-10 TeV, gammapy's FoVBackgroundMaker agrees (norms
0.95-1.05) on the four H.E.S.S. DR1 Crab runs, with both methods.

H.E.S.S. DL3 DR1 (CC BY 4.0): H.E.S.S. Collaboration, arXiv:1810.04516.
"""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.datasets import MapDataset
from gammapy.makers import FoVBackgroundMaker, MapDatasetMaker, SafeMaskMaker
from gammapy.maps import MapAxis, WcsGeom
from gammapy.modeling.models import PowerLawNormSpectralModel
from regions import CircleSkyRegion

from baccmod import RadialAcceptanceMapCreator

pytestmark = pytest.mark.realdata

CRAB = SkyCoord(83.63308 * u.deg, 22.01450 * u.deg)
CRAB_RUNS = [23523, 23526, 23559, 23592]
EXCLUSION = CircleSkyRegion(CRAB, 0.3 * u.deg)
ENERGY = MapAxis.from_energy_bounds(0.1, 100, 12, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2.5, 5, unit="deg", name="offset")
NORM_RANGE = (1 * u.TeV, 10 * u.TeV)


@pytest.fixture(scope="module")
def crab_runs(hess_dr1):
    return hess_dr1.get_observations(CRAB_RUNS, required_irf=[])


def gammapy_norm_and_tilt(observation, model, method):
    """gammapy's FoVBackgroundMaker norm (and tilt) of ``model`` as the run's bkg in
    1-10 TeV, outside the exclusion, within the model's offset."""
    edges = ENERGY.edges[(ENERGY.edges > 0.99 * NORM_RANGE[0])
                         & (ENERGY.edges < 1.01 * NORM_RANGE[1])]
    geom = WcsGeom.create(skydir=observation.get_pointing_icrs(observation.tmid),
                          width=5 * u.deg, binsz=0.04, frame="icrs",
                          axes=[MapAxis.from_energy_edges(edges, name="energy")])
    observation.bkg = model
    dataset = MapDatasetMaker(selection=["counts", "background"]).run(
        MapDataset.create(geom, name=str(observation.obs_id)), observation)
    dataset = SafeMaskMaker(methods=["offset-max"], offset_max=OFFSET.edges[-1]).run(
        dataset, observation)
    spectral = PowerLawNormSpectralModel()
    spectral.tilt.frozen = method == "scale"
    maker = FoVBackgroundMaker(method=method, exclusion_mask=~geom.to_image().region_mask(
        [EXCLUSION]), spectral_model=spectral)
    fitted = maker.run(dataset).models[0].spectral_model
    return fitted.norm.value, fitted.tilt.value


@pytest.mark.parametrize("method", ["scale", "fit"])
def test_gammapy_finds_norm_one_after_normalising_in_1_to_10_tev(crab_runs, method):
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET, exclude_regions=[EXCLUSION],
                                         oversample_map=5,
                                         runwise_normalisation_energy_range=NORM_RANGE,
                                         runwise_normalisation_method=method)
    models = creator.create_acceptance_map_per_observation(crab_runs)
    table = creator.normalisation_table
    assert list(table["METHOD"]) == [method] * len(CRAB_RUNS)
    np.testing.assert_allclose(table["ENERGY_MIN"], 1.0)
    np.testing.assert_allclose(table["ENERGY_MAX"], 10.0)
    for obs in crab_runs:
        norm, tilt = gammapy_norm_and_tilt(obs, models[obs.obs_id], method)
        assert 0.95 < norm < 1.05, (obs.obs_id, norm)
        assert abs(tilt) < 0.05, (obs.obs_id, tilt)
