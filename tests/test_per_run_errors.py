"""Bad input to the per-run and zenith-binned models gets a clear error (issue 3, item 9)."""
import numpy as np
import pytest
from gammapy.maps import MapAxis

from baccmod import (BackgroundCollectionZenith, BaccmodTypeError, BaccmodValueError,
                     Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator)
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]


@pytest.mark.parametrize("creator", CREATORS)
def test_unknown_binning_method_lists_the_valid_ones(creator):
    with pytest.raises(BaccmodValueError, match="min_livetime, min_livetime_per_wobble, "
                                                "min_n_observation, min_n_observation_per_wobble"):
        creator(ENERGY, OFFSET, cos_zenith_binning_method="max_livetime")


@pytest.mark.parametrize("option", ["interpolation_zenith_type", "interpolation_type"])
def test_unknown_interpolation_type_lists_the_valid_ones(option):
    with pytest.raises(BaccmodValueError, match="interpolation_zenith_type must be one of "
                                                "'linear', 'log', got 'cubic'"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, **{option: "cubic"})


@pytest.mark.parametrize("value", [0, -3600])
def test_threshold_must_be_positive(value):
    with pytest.raises(BaccmodValueError, match="cos_zenith_binning_parameter_value"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, cos_zenith_binning_parameter_value=value)
    with pytest.raises(BaccmodValueError, match="cos_zenith_binning_parameter_value"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, min_run_per_cos_zenith_bin=value)


@pytest.mark.parametrize("width", [0, 1, -0.1, 1.5])
def test_initial_cos_zenith_binning_must_be_in_0_1(width):
    with pytest.raises(BaccmodValueError, match=r"initial_cos_zenith_binning must be a number in \(0, 1\)"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, initial_cos_zenith_binning=width)


def test_base_model_of_another_type_is_refused():
    model_3d = Grid3DAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map(
        [make_observation(1)])
    with pytest.raises(BaccmodTypeError, match="Background2D models.*not Background3D"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map_per_observation(
            [make_observation(2)], base_model=model_3d)
    with pytest.raises(BaccmodTypeError, match="Background2D models.*not Background3D"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map_per_observation(
            [make_observation(2)], base_model=BackgroundCollectionZenith({30.0: model_3d}))


def test_base_model_with_other_axes_is_refused():
    other = MapAxis.from_bounds(0, 2.5, 4, unit="deg", name="offset")
    model = RadialAcceptanceMapCreator(ENERGY, other).create_acceptance_map([make_observation(1)])
    with pytest.raises(BaccmodValueError, match="base_model axes differ from the creator's"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map_per_observation(
            [make_observation(2)], base_model=model)


@pytest.mark.parametrize("zenith", [-1.0, 90.5, np.nan])
def test_zenith_key_outside_0_90_is_refused(zenith):
    model = RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map([make_observation(1)])
    with pytest.raises(BaccmodValueError):
        BackgroundCollectionZenith({zenith: model})


@pytest.mark.parametrize("creator", CREATORS)
def test_empty_off_observations_are_refused(creator):
    with pytest.raises(BaccmodValueError, match="no off_observations"):
        creator(ENERGY, OFFSET).create_acceptance_map_per_observation(
            [make_observation(1)], off_observations=[])
    with pytest.raises(BaccmodValueError, match="no off_observations"):
        creator(ENERGY, OFFSET).create_acceptance_model([])


def test_writing_over_an_existing_file_needs_overwrite(tmp_path):
    path = tmp_path / "collection.fits"
    path.write_bytes(b"keep me")
    model = RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map([make_observation(1)])
    with pytest.raises(BaccmodValueError, match="overwrite=True"):
        BackgroundCollectionZenith({30.0: model}).write(path)
    assert path.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["collection.fits"]


def test_a_zenith_bin_without_events_is_left_out_with_a_warning(caplog):
    import logging
    # the empty run points 40 deg further north: another zenith bin
    runs = [make_observation(1), make_observation(2, n_events=0, pointing=(329.7, 9.8))]
    maker = RadialAcceptanceMapCreator(ENERGY, OFFSET, min_run_per_cos_zenith_bin=1)
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        collection = maker.create_model_cos_zenith_binned(runs)
    assert len(collection) == 1 and "holds no events" in caplog.text
    assert [b.obs_ids for b in maker.zenith_bins] == [[1]]


@pytest.mark.parametrize("option, value", [
    ("interpolation_cleaning_energy_relative_threshold", 0.0),
    ("interpolation_cleaning_spatial_relative_threshold", 2.0),
    ("activate_interpolation_zenith_cleaning", "yes")])
def test_cleaning_settings_are_checked_when_the_creator_is_made(option, value):
    with pytest.raises((BaccmodValueError, BaccmodTypeError), match=option):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, **{option: value})
