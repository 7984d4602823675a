"""Requests whose work has no bound are refused before the work, naming the options that lower
it (issue 7, item 3.8): in the constructor when the options decide it, when a run is read when
the run does (its time nodes, its length)."""
import time

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

from baccmod import BaccmodValueError, Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from baccmod import limits
from baccmod.core import exclusion
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]
#: An exclusion inside the field of view of make_observation's runs.
EXCLUSION = CircleSkyRegion(SkyCoord(329.7, -29.7, unit="deg"), 0.3 * u.deg)


def test_3d_sub_pixels_beyond_the_limit_are_refused_at_once():
    largest = int(np.sqrt(limits.MAX_SUB_PIXELS) / (2 * OFFSET.nbin))
    Grid3DAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=largest)
    start = time.perf_counter()
    for oversample in (largest + 1, 1000):
        with pytest.raises(BaccmodValueError, match=rf"oversample_map={oversample} needs .*"
                                                    rf"MAX_SUB_PIXELS\): lower oversample_map "
                                                    rf"\(to about {largest}\)"):
            Grid3DAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=oversample)
    assert time.perf_counter() - start < 1.0


def test_radial_sub_rings_count_only_with_exclusions():
    with pytest.raises(BaccmodValueError, match="oversample_map=2000 needs"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=2000, exclude_regions=EXCLUSION)
    with pytest.raises(BaccmodValueError, match="oversample_map=1000000000 needs"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=10 ** 9,
                                   exclude_regions=EXCLUSION)
    # without exclusions a ring's offsets are exact: oversampling costs nothing
    RadialAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=10 ** 9).create_acceptance_map(
        [make_observation(1)])


@pytest.mark.parametrize("creator", CREATORS)
def test_mini_irf_pieces_per_hour_beyond_the_limit_are_refused(creator):
    shortest = 3600 / limits.MAX_PIECES_PER_RUN * u.s
    creator(ENERGY, OFFSET, use_mini_irf_computation=True, mini_irf_time_resolution=shortest)
    with pytest.raises(BaccmodValueError, match=r"mini_irf_time_resolution=0.001 s cuts a "
                                                r"one-hour run into up to 3.6e\+06 pieces.*"
                                                r"MAX_PIECES_PER_RUN\): raise "
                                                r"mini_irf_time_resolution to at least 1 s"):
        creator(ENERGY, OFFSET, use_mini_irf_computation=True,
                mini_irf_time_resolution=1 * u.ms)
    creator(ENERGY, OFFSET, mini_irf_time_resolution=1 * u.ms)  # not used: not refused


def test_zenith_split_pieces_per_hour_and_fine_bins_beyond_the_limits_are_refused():
    with pytest.raises(BaccmodValueError, match=r"zenith_binning_run_splitting with "
                                                r"initial_cos_zenith_binning=1e-05 cuts .*raise "
                                                r"initial_cos_zenith_binning to at least 7.3e-05"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, zenith_binning_run_splitting=True,
                                   initial_cos_zenith_binning=1e-5)
    RadialAcceptanceMapCreator(ENERGY, OFFSET, initial_cos_zenith_binning=1e-5)
    with pytest.raises(BaccmodValueError, match="MAX_FINE_COS_ZENITH_BINS"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, initial_cos_zenith_binning=1e-6)


@pytest.fixture
def no_heavy_work(monkeypatch):
    """Make the 3D exclusion integration fail, to show a refusal comes before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("the exclusion integration ran")
    monkeypatch.setattr(exclusion, "grid_unexcluded_fractions", refuse)


def test_a_3d_run_with_too_many_time_nodes_is_refused_before_its_integration(monkeypatch,
                                                                            no_heavy_work):
    creator = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, exclude_regions=EXCLUSION)
    sub_pixels = (2 * OFFSET.nbin * creator.oversample_map) ** 2
    monkeypatch.setattr(limits, "MAX_SUB_PIXEL_NODES", 2 * sub_pixels)
    with pytest.raises(BaccmodValueError, match=r"run 7: integrating the exclusions needs "
                                                r".* time nodes .*MAX_SUB_PIXEL_NODES.*raise "
                                                r"time_resolution"):
        creator.create_acceptance_map([make_observation(7)])


def test_a_longer_time_resolution_brings_the_run_under_the_limit(monkeypatch):
    creator = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, exclude_regions=EXCLUSION,
                                         time_resolution=600 * u.s)
    monkeypatch.setattr(limits, "MAX_SUB_PIXEL_NODES",
                        2 * (2 * OFFSET.nbin * creator.oversample_map) ** 2)
    model = creator.create_acceptance_map([make_observation(7)])
    assert np.all(np.isfinite(model.data))


@pytest.mark.parametrize("creator", CREATORS)
def test_a_run_cut_in_too_many_mini_irf_pieces_is_refused_naming_it(creator, monkeypatch):
    maker = creator(ENERGY, OFFSET, use_mini_irf_computation=True,
                    mini_irf_time_resolution=1 * u.min)
    monkeypatch.setattr(limits, "MAX_PIECES_PER_RUN", 5)  # a 10-min run makes 10 pieces
    with pytest.raises(BaccmodValueError, match=r"run 3: mini_irf_time_resolution=60 s "
                                                r"cuts it into 10 pieces.*raise "
                                                r"mini_irf_time_resolution"):
        maker.create_acceptance_map_per_observation([make_observation(3)])


@pytest.mark.parametrize("creator", CREATORS)
def test_a_run_cut_in_too_many_zenith_pieces_is_refused_naming_it(creator, monkeypatch):
    maker = creator(ENERGY, OFFSET, zenith_binning_run_splitting=True,
                    initial_cos_zenith_binning=1e-3)
    monkeypatch.setattr(limits, "MAX_PIECES_PER_RUN", 2)
    with pytest.raises(BaccmodValueError, match=r"run 4: zenith_binning_run_splitting or "
                                                r"azimuth_east_west_splitting cuts it into .*"
                                                r"raise initial_cos_zenith_binning"):
        maker.create_model_cos_zenith_binned([make_observation(4)])


def test_mini_irf_pieces_do_not_count_for_off_runs(monkeypatch):
    maker = RadialAcceptanceMapCreator(ENERGY, OFFSET, use_mini_irf_computation=True,
                                       mini_irf_time_resolution=1 * u.min)
    monkeypatch.setattr(limits, "MAX_PIECES_PER_RUN", 5)
    off = [make_observation(8, duration=600.0)]       # 10 pieces if it got its own model
    models = maker.create_acceptance_map_per_observation(
        [make_observation(9, duration=240.0)], off_observations=off, zenith_binning=True)
    assert list(models) == [9]
