"""oversample_map only sets how finely exclusions are integrated: without exclusions the
models do not depend on it (BAccMod's radial model does: it sums map pixels whose centre lies
in each ring). See README, "Differences from BAccMod"."""
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

from baccmod import Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.2 * u.TeV, 5 * u.TeV, 3, name="energy")
OFFSET = MapAxis.from_bounds(0 * u.deg, 2 * u.deg, 5, unit="deg", name="offset")
OVERSAMPLINGS = (1, 5, 50)


@pytest.fixture(scope="module")
def runs():
    return [make_observation(obs_id=1, n_events=20000),
            make_observation(obs_id=2, n_events=20000, pointing=(330.4, -30.0), seed=1)]


def models(creator_class, runs, **options):
    return [creator_class(ENERGY, OFFSET, oversample_map=n, **options).create_model(runs)
            for n in OVERSAMPLINGS]


@pytest.mark.parametrize("creator_class", [RadialAcceptanceMapCreator,
                                           Grid3DAcceptanceMapCreator])
def test_without_exclusions_the_model_does_not_depend_on_oversample_map(creator_class, runs):
    first, *others = models(creator_class, runs)
    assert first.data.max() > 0
    for model in others:
        np.testing.assert_allclose(model.data, first.data, rtol=1e-12, atol=0)


def test_with_an_exclusion_only_the_rings_it_touches_depend_on_oversample_map(runs):
    # a 0.3 deg circle about 0.9 deg from both pointings: it lies within 0.6-1.3 deg offset
    exclusion = CircleSkyRegion(SkyCoord(329.7, -29.3, unit="deg"), 0.3 * u.deg)
    coarse, _, fine = models(RadialAcceptanceMapCreator, runs, exclude_regions=[exclusion])
    changed = ~np.isclose(coarse.data, fine.data, rtol=1e-12, atol=0).all(axis=0)
    assert changed.any() and not changed.all()
    assert not changed[0] and not changed[-1]  # rings 0-0.4 and 1.6-2 deg
