"""H.E.S.S. DL3 DR1, PKS 2155-304 runs: models are finite and positive where counts exist.

This work made use of data from the H.E.S.S. DL3 public test data release 1 (HESS DL3 DR1,
H.E.S.S. collaboration, 2018).
"""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.irf import Background2D, Background3D, FoVAlignment
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

from baccmod import Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from conftest import PKS2155

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 6, unit="deg", name="offset")
REGION = CircleSkyRegion(SkyCoord(*PKS2155, unit="deg"), 0.4 * u.deg)


@pytest.mark.realdata
@pytest.mark.parametrize("creator, kind", [(RadialAcceptanceMapCreator, Background2D),
                                           (Grid3DAcceptanceMapCreator, Background3D)])
def test_pks2155_models_are_finite_and_positive_where_counts_exist(pks2155_observations,
                                                                   creator, kind):
    assert len(pks2155_observations) == 21
    maker = creator(ENERGY, OFFSET, oversample_map=5, exclude_regions=[REGION])
    model = maker.create_acceptance_map(pks2155_observations)
    assert isinstance(model, kind)
    assert model.unit == u.Unit("s-1 MeV-1 sr-1")
    assert np.all(np.isfinite(model.data)) and np.all(model.data >= 0)
    assert np.all(model.data[maker.counts > 0] > 0)
    assert maker.counts.sum() > 100_000
    if kind is Background3D:
        assert model.fov_alignment == FoVAlignment.ALTAZ
        assert model.axes.names == ["energy", "fov_lon", "fov_lat"]
    model.to_table_hdu()  # writable as a gammapy IRF
    np.testing.assert_allclose(maker.create_model(pks2155_observations).data, model.data,
                               rtol=1e-12)


@pytest.mark.realdata
def test_pks2155_radial_with_irregular_computation_axis(pks2155_observations):
    computation = MapAxis.from_energy_edges(
        np.concatenate([np.logspace(-1, 0, 6), np.logspace(0, 1, 3)[1:]]) * u.TeV,
        name="energy")
    maker = RadialAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=5,
                                       exclude_regions=[REGION],
                                       energy_axis_computation=computation)
    model = maker.create_acceptance_map(pks2155_observations)
    assert model.data.shape == (ENERGY.nbin, OFFSET.nbin)
    assert np.all(np.isfinite(model.data)) and np.all(model.data >= 0)
    # below 1 TeV the two binnings coincide: the interpolation returns the computed rates
    regular = RadialAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=5,
                                         exclude_regions=[REGION])
    np.testing.assert_allclose(model.data[:5],
                               regular.create_acceptance_map(pks2155_observations).data[:5],
                               rtol=1e-10)
    assert np.all(model.data[1:] > 0)


@pytest.mark.realdata
def test_exclusion_mask_and_region_give_the_same_model(pks2155_observations):
    """A boolean WcsNDMap mask of the same circle (0.01 deg pixels) excludes the same sky:
    exposures within 2 % per bin, counted events within 0.2 %."""
    from gammapy.maps import WcsGeom
    runs = pks2155_observations[:6]
    geom = WcsGeom.create(skydir=REGION.center, width=6 * u.deg, binsz=0.01)
    mask = ~geom.region_mask([REGION])
    by_region = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=5,
                                           exclude_regions=[REGION])
    by_region.create_acceptance_map(runs)
    by_mask = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=5, exclude_regions=mask)
    by_mask.create_acceptance_map(runs)
    exposed = by_region.exposure > 0
    assert (~exposed).sum() == 0 or np.all(by_mask.exposure[~exposed] == 0)
    np.testing.assert_allclose(by_mask.exposure[exposed], by_region.exposure[exposed], rtol=0.02)
    assert by_mask.counts.sum() == pytest.approx(by_region.counts.sum(), rel=0.002)
    no_exclusion = Grid3DAcceptanceMapCreator(ENERGY, OFFSET)
    no_exclusion.create_acceptance_map(runs)
    assert by_region.counts.sum() < 0.95 * no_exclusion.counts.sum()
