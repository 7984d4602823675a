"""Collections of background models in zenith (and azimuth side): mapping, interpolation, FITS."""
import logging
import os
import pickle

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from gammapy.irf import Background2D, Background3D, FoVAlignment
from gammapy.maps import MapAxis

import baccmod.collection as collection_module
from baccmod.collection import BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth
from baccmod.core.zenith_interpolation import clean_interpolated_rate, interpolate_cos_zenith
from baccmod.errors import BaccmodTypeError, BaccmodValueError
from baccmod.exception import BackgroundModelFormatException

RATE_UNIT = u.Unit("s-1 MeV-1 sr-1")
ENERGY_2D = MapAxis.from_energy_bounds(0.1, 10, 4, unit="TeV", name="energy")
OFFSET = MapAxis.from_edges([0.0, 0.5, 1.0, 2.0], unit="deg", name="offset")
ENERGY_3D = MapAxis.from_energy_bounds(0.1, 10, 3, unit="TeV", name="energy")
LON = MapAxis.from_edges(np.linspace(-2, 2, 5), unit="deg", name="fov_lon")
LAT = MapAxis.from_edges(np.linspace(-2, 2, 5), unit="deg", name="fov_lat")
LOGGER = "baccmod.collection"


def model_2d(scale=1.0, offset_axis=OFFSET, unit=RATE_UNIT):
    """Energy 4 x offset 3, data scale * (1 .. 12)."""
    data = scale * np.arange(1.0, 13.0).reshape(4, 3)
    return Background2D(axes=[ENERGY_2D, offset_axis], data=data, unit=unit)


def model_3d(scale=1.0, alignment=FoVAlignment.ALTAZ):
    """Energy 3 x fov_lon 4 x fov_lat 4, data scale * (1 .. 48)."""
    data = scale * np.arange(1.0, 49.0).reshape(3, 4, 4)
    return Background3D(axes=[ENERGY_3D, LON, LAT], data=data, unit=RATE_UNIT,
                        fov_alignment=alignment)


MAKERS = {"2d": model_2d, "3d": model_3d}


def collection_of(make, zeniths=(10.0, 50.0, 70.0), **settings):
    """Models whose rate falls with zenith, not linearly in cos(zenith)."""
    return BackgroundCollectionZenith({z: make(1.0 + (z / 30.0) ** 2) for z in zeniths},
                                      **settings)


def assert_same_model(model, expected):
    assert_model_like(model, expected)
    np.testing.assert_array_equal(model.data, expected.data)


def assert_model_like(model, expected):
    """Same type, axes, unit and (3D) fov_alignment."""
    assert type(model) is type(expected)
    assert model.unit == expected.unit
    assert model.axes.names == expected.axes.names
    for axis, other in zip(model.axes, expected.axes):
        np.testing.assert_array_equal(axis.edges, other.edges)
        assert axis.unit == other.unit
    if isinstance(expected, Background3D):
        assert model.fov_alignment == expected.fov_alignment


def assert_same_collection(collection, expected):
    assert type(collection) is type(expected)
    assert list(collection) == list(expected)
    assert collection.settings() == expected.settings()
    for zenith in expected:
        assert_same_model(collection[zenith], expected[zenith])


def cos_deg(angle):
    return np.cos(np.deg2rad(angle))


# --- mapping -----------------------------------------------------------------------------------

def test_behaves_as_a_mapping_iterated_in_increasing_zenith():
    m10, m25, m40 = model_2d(1), model_2d(2), model_2d(3)
    collection = BackgroundCollectionZenith({40: m40, 10: m10})
    collection[25] = m25
    assert list(collection) == [10.0, 25.0, 40.0]
    assert all(type(zenith) is float for zenith in collection.keys())
    for stored, given in zip(collection.values(), [m10, m25, m40]):
        assert_same_model(stored, given)
    assert [zenith for zenith, _ in collection.items()] == [10.0, 25.0, 40.0]
    assert_same_model(collection[25.0], m25)
    assert 40 in collection and 41 not in collection
    assert len(collection) == 3
    np.testing.assert_array_equal(collection.get_zenith().to_value(u.deg), [10.0, 25.0, 40.0])


@pytest.mark.parametrize("zenith", [-1, 90.5, np.nan, np.inf, "10", None])
def test_a_zenith_outside_0_90_deg_is_refused(zenith):
    with pytest.raises(BaccmodValueError, match=r"must be in \[0, 90\] deg"):
        BackgroundCollectionZenith()[zenith] = model_2d()
    with pytest.raises(BaccmodValueError, match=r"must be in \[0, 90\] deg"):
        collection_of(model_2d).get_model(zenith)


def test_the_ends_0_and_90_deg_are_accepted():
    collection = BackgroundCollectionZenith({0: model_2d(), 90: model_2d(2)})
    assert list(collection) == [0.0, 90.0]


def test_values_other_than_background_models_are_refused():
    with pytest.raises(BaccmodTypeError, match="Background2D or Background3D"):
        BackgroundCollectionZenith({10: np.ones((4, 3))})


@pytest.mark.parametrize("other, what", [
    (model_3d(), "type"),
    (model_2d(offset_axis=MapAxis.from_edges([0.0, 0.5, 1.0, 2.5], unit="deg",
                                             name="offset")), "edges of axis 'offset'"),
    (model_2d(offset_axis=MapAxis.from_edges([0.0, 0.5, 1.0, 2.0], unit="rad",
                                             name="offset")), "unit of axis 'offset'"),
    (model_2d(unit="s-1 TeV-1 sr-1"), "unit"),
])
def test_models_differing_from_the_others_are_refused_naming_what_differs(other, what):
    collection = BackgroundCollectionZenith({10: model_2d()})
    with pytest.raises(BaccmodValueError, match=what):
        collection[20] = other
    assert list(collection) == [10.0]
    collection[10] = other  # replacing the only model is fine


def test_3d_models_must_share_the_fov_alignment():
    collection = BackgroundCollectionZenith({10: model_3d(alignment=FoVAlignment.ALTAZ)})
    with pytest.raises(BaccmodValueError, match="fov_alignment"):
        collection[20] = model_3d(alignment=FoVAlignment.RADEC)


def test_edges_equal_within_1e_9_are_the_same_axis():
    close = MapAxis.from_edges(OFFSET.edges.value * (1 + 1e-12), unit="deg", name="offset")
    collection = BackgroundCollectionZenith({10: model_2d()})
    collection[20] = model_2d(offset_axis=close)
    assert len(collection) == 2


def test_interpolation_settings_are_checked():
    with pytest.raises(BaccmodValueError, match="'linear', 'log'"):
        BackgroundCollectionZenith(interpolation_type="cubic")
    with pytest.raises(BaccmodTypeError, match="activate_interpolation_cleaning"):
        BackgroundCollectionZenith(activate_interpolation_cleaning="yes")
    with pytest.raises(BaccmodValueError, match="energy_relative_threshold"):
        BackgroundCollectionZenith(interpolation_cleaning_energy_relative_threshold=0)
    with pytest.raises(BaccmodValueError, match="log_offset"):
        BackgroundCollectionZenith(log_offset=-1.0)


# --- models at a zenith -----------------------------------------------------------------------

def test_closest_model_is_the_nearest_in_cos_zenith():
    m10, m60 = model_2d(1), model_2d(2)
    collection = BackgroundCollectionZenith({10: m10, 60: m60})
    # 40 deg is nearer 60 deg in zenith (20 vs 30 deg) but nearer 10 deg in cos(zenith):
    # |cos 40 - cos 10| = 0.219 < |cos 40 - cos 60| = 0.266
    assert abs(cos_deg(40) - cos_deg(10)) < abs(cos_deg(40) - cos_deg(60))
    assert_same_model(collection.get_closest_model(40), m10)
    assert_same_model(collection.get_closest_model(45), m60)


def test_get_model_returns_the_stored_model_at_its_zenith_else_interpolates():
    collection = collection_of(model_2d)
    assert_same_model(collection.get_model(50), collection[50])
    assert_same_model(collection.get_model(50 + 1e-7), collection[50])
    assert_same_model(collection.get_model(30), collection.get_interpolated_model(30))
    assert not any(np.array_equal(collection.get_model(30).data, stored.data)
                   for stored in collection.values())


@pytest.mark.parametrize("kind", ["linear", "log"])
@pytest.mark.parametrize("dimension", ["2d", "3d"])
def test_interpolated_model_is_the_core_interpolation_in_a_model_like_the_others(kind,
                                                                                 dimension):
    collection = collection_of(MAKERS[dimension], interpolation_type=kind)
    model = collection.get_interpolated_model(30)
    stack = np.stack([m.data for m in collection.values()])
    expected = interpolate_cos_zenith(stack, cos_deg(list(collection)), cos_deg(30),
                                      kind=kind)
    reference = collection[10]
    assert_model_like(model, reference)
    np.testing.assert_array_equal(model.data, expected)
    assert not np.allclose(model.data, reference.data)
    assert model.axes is not reference.axes


def test_linear_and_log_interpolation_differ():
    linear = collection_of(model_2d, interpolation_type="linear").get_interpolated_model(30)
    log = collection_of(model_2d, interpolation_type="log").get_interpolated_model(30)
    assert np.all(log.data < linear.data)  # the geometric mean is below the arithmetic one


def test_one_model_gives_a_copy_of_it_and_a_warning(caplog):
    only = model_3d(2.0)
    collection = BackgroundCollectionZenith({20: only})
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        model = collection.get_interpolated_model(45)
    assert "at least two zenith bins" in caplog.text
    assert_same_model(model, only)
    assert model is not only and model.data is not only.data


def test_extrapolation_warns_and_follows_the_core_function(caplog):
    collection = collection_of(model_2d, zeniths=(20.0, 40.0))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        collection.get_interpolated_model(30)
    assert caplog.text == ""
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        model = collection.get_interpolated_model(60)
    assert "outside the range" in caplog.text
    stack = np.stack([m.data for m in collection.values()])
    np.testing.assert_array_equal(
        model.data, interpolate_cos_zenith(stack, cos_deg([20.0, 40.0]), cos_deg(60)))


def test_empty_collection_and_zenith_outside_0_90_are_refused():
    with pytest.raises(BaccmodValueError, match="holds no model"):
        BackgroundCollectionZenith().get_interpolated_model(30)
    with pytest.raises(BaccmodValueError, match="holds no model"):
        BackgroundCollectionZenith().get_closest_model(30)
    with pytest.raises(BaccmodValueError, match=r"\[0, 90\] deg"):
        collection_of(model_2d).get_interpolated_model(95)


def test_cleaning_is_applied_with_the_thresholds_when_activated():
    spiky = []
    for scale in (1.0, 2.0):
        model = model_2d(scale)
        model.data[2, 1] *= 1e6
        spiky.append(model)
    settings = dict(interpolation_cleaning_energy_relative_threshold=1e-3,
                    interpolation_cleaning_spatial_relative_threshold=0.2)
    raw = BackgroundCollectionZenith({20: spiky[0], 40: spiky[1]}, **settings)
    cleaned = BackgroundCollectionZenith({20: spiky[0], 40: spiky[1]},
                                         activate_interpolation_cleaning=True, **settings)
    raw_data = raw.get_interpolated_model(30).data
    cleaned_data = cleaned.get_interpolated_model(30).data
    assert raw_data[2, 1] > 0 and cleaned_data[2, 1] == 0
    np.testing.assert_array_equal(cleaned_data, clean_interpolated_rate(raw_data, 1e-3, 0.2))


# --- FITS --------------------------------------------------------------------------------------

EXACT_SETTINGS = dict(interpolation_type="log", activate_interpolation_cleaning=True,
                      interpolation_cleaning_energy_relative_threshold=0.00012345678901234567,
                      interpolation_cleaning_spatial_relative_threshold=0.05,
                      log_offset=np.finfo(np.float64).tiny)
# zeniths whose shortest repr is long, to test exactness
EXACT_ZENITHS = (0.0, 1.2345678901234567e-05, 100 / 3, 60.123456789012344)


def split_collection(make):
    east = collection_of(make, zeniths=EXACT_ZENITHS, **EXACT_SETTINGS)
    west = collection_of(make, zeniths=(20.0, 45.5), **EXACT_SETTINGS)
    return BackgroundCollectionZenithSplitAzimuth(east=east, west=west)


@pytest.mark.parametrize("dimension", ["2d", "3d"])
def test_fits_round_trip_is_exact_zenith(tmp_path, dimension):
    collection = collection_of(MAKERS[dimension], zeniths=EXACT_ZENITHS, **EXACT_SETTINGS)
    model = collection[100 / 3]
    model.data[0, 0] = 1 / 3  # a value without a short decimal form
    collection[100 / 3] = model
    path = tmp_path / "collection.fits"
    collection.write(path)
    assert_same_collection(BackgroundCollectionZenith.read(path), collection)
    header = fits.getheader(path)
    assert header["BKGCOLL"] == "baccmod-zenith" and header["FMTVERS"] == 2
    assert header["INTERP"] == "log" and header["CLEAN"] is True
    assert fits.getheader(path, "BKG_ZEN2")["ZENITH"] == 100 / 3
    assert os.listdir(tmp_path) == ["collection.fits"]


@pytest.mark.parametrize("dimension", ["2d", "3d"])
def test_fits_round_trip_is_exact_split_azimuth(tmp_path, dimension):
    split = split_collection(MAKERS[dimension])
    path = tmp_path / "split.fits"
    split.write(str(path))
    read = BackgroundCollectionZenithSplitAzimuth.read(str(path))
    assert_same_collection(read.east, split.east)
    assert_same_collection(read.west, split.west)
    assert fits.getheader(path)["BKGCOLL"] == "baccmod-zenith-azimuth"
    sides = [hdu.header["AZ_SIDE"] for hdu in fits.open(path)[1:]]
    assert sides == ["east"] * 4 + ["west"] * 2


def test_an_empty_collection_round_trips(tmp_path):
    BackgroundCollectionZenith(interpolation_type="log").write(tmp_path / "empty.fits")
    read = BackgroundCollectionZenith.read(tmp_path / "empty.fits")
    assert len(read) == 0 and read.interpolation_type == "log"


def test_write_refuses_to_overwrite_unless_asked_and_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "collection.fits"
    collection_of(model_2d).write(path)
    before = path.read_bytes()
    other = collection_of(model_3d)
    with pytest.raises(BaccmodValueError, match="overwrite=True"):
        other.write(path)
    assert path.read_bytes() == before
    other.write(path, overwrite=True)
    assert_same_collection(BackgroundCollectionZenith.read(path), other)
    assert os.listdir(tmp_path) == ["collection.fits"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "collection.fits"
    collection_of(model_2d).write(path)
    before = path.read_bytes()

    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(collection_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        collection_of(model_3d).write(path, overwrite=True)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["collection.fits"]


def test_reading_a_file_that_is_not_fits_is_refused_with_its_path(tmp_path):
    path = tmp_path / "notes.fits"
    path.write_text("not a FITS file\n" * 300)
    with pytest.raises(BaccmodValueError, match="cannot read .*notes.fits"):
        BackgroundCollectionZenith.read(path)


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_reading_a_truncated_file_is_refused(tmp_path, keep):
    path = tmp_path / "collection.fits"
    collection_of(model_3d).write(path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(BaccmodValueError, match="collection.fits"):
        BackgroundCollectionZenith.read(path)


def test_reading_a_file_missing_its_last_model_hdu_is_refused(tmp_path):
    path = tmp_path / "collection.fits"
    collection_of(model_2d).write(path)
    with fits.open(path) as hdus:
        fits.HDUList(hdus[:-1]).writeto(tmp_path / "cut.fits")
    with pytest.raises(BaccmodValueError, match="incomplete"):
        BackgroundCollectionZenith.read(tmp_path / "cut.fits")


def test_reading_a_fits_file_without_the_collection_key_is_refused(tmp_path):
    path = tmp_path / "image.fits"
    fits.PrimaryHDU(np.zeros((2, 2))).writeto(path)
    with pytest.raises(BaccmodValueError, match="not a baccmod background collection.*BKGCOLL"):
        BackgroundCollectionZenith.read(path)


def test_reading_an_unsupported_format_version_is_refused(tmp_path):
    path = tmp_path / "collection.fits"
    collection_of(model_2d).write(path)
    fits.setval(path, "FMTVERS", value=3)
    with pytest.raises(BaccmodValueError, match="format version 3.*reads versions 1, 2"):
        BackgroundCollectionZenith.read(path)


def test_reading_a_model_hdu_without_zenith_is_refused(tmp_path):
    path = tmp_path / "collection.fits"
    collection_of(model_2d).write(path)
    fits.delval(path, "ZENITH", ext=1)
    with pytest.raises(BaccmodValueError, match="BKG_ZEN0.*no ZENITH"):
        BackgroundCollectionZenith.read(path)


def test_each_class_refuses_the_file_of_the_other_naming_it(tmp_path):
    zenith_path, split_path = tmp_path / "zenith.fits", tmp_path / "split.fits"
    collection_of(model_2d).write(zenith_path)
    split_collection(model_2d).write(split_path)
    with pytest.raises(BaccmodValueError, match="BackgroundCollectionZenithSplitAzimuth.read"):
        BackgroundCollectionZenith.read(split_path)
    with pytest.raises(BaccmodValueError, match="BackgroundCollectionZenith.read"):
        BackgroundCollectionZenithSplitAzimuth.read(zenith_path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        BackgroundCollectionZenith.read(tmp_path / "nowhere.fits")


# --- pickle ------------------------------------------------------------------------------------

def test_both_classes_survive_pickling():
    collection = collection_of(model_3d, **EXACT_SETTINGS)
    assert_same_collection(pickle.loads(pickle.dumps(collection)), collection)
    split = split_collection(model_2d)
    copy = pickle.loads(pickle.dumps(split))
    assert_same_collection(copy.east, split.east)
    assert_same_collection(copy.west, split.west)


# --- azimuth sides -----------------------------------------------------------------------------

@pytest.mark.parametrize("azimuth, side", [(0, "east"), (179.9, "east"), (180, "west"),
                                           (359.9, "west"), (360, "east"), (-10, "west"),
                                           (-1e-20, "east")])
def test_azimuth_in_0_180_is_east_and_in_180_360_is_west_modulo_360(azimuth, side):
    split = split_collection(model_2d)
    assert split.side(azimuth) == side
    assert split.collection(azimuth) is getattr(split, side)


def test_split_collection_answers_from_the_side_of_the_azimuth():
    split = split_collection(model_2d)
    assert_same_model(split.get_model(20, 200), split.west[20])
    assert_same_model(split.get_closest_model(55, 90), split.east[60.123456789012344])
    assert_same_model(split.get_interpolated_model(30, 270),
                      split.west.get_interpolated_model(30))
    assert_same_model(split.get_model(30, 10), split.east.get_interpolated_model(30))


def test_split_sides_must_hold_the_same_kind_of_models():
    with pytest.raises(BaccmodValueError, match="type"):
        BackgroundCollectionZenithSplitAzimuth(east=collection_of(model_2d),
                                               west=collection_of(model_3d))
    with pytest.raises(BaccmodTypeError, match="BackgroundCollectionZenith"):
        BackgroundCollectionZenithSplitAzimuth(east={10: model_2d()})


def test_a_missing_side_takes_the_settings_of_the_other_and_writing_needs_equal_settings(
        tmp_path):
    split = BackgroundCollectionZenithSplitAzimuth(
        west=collection_of(model_2d, interpolation_type="log"))
    assert split.east.settings() == split.west.settings() and len(split.east) == 0
    split.east = collection_of(model_2d, interpolation_type="linear")
    with pytest.raises(BaccmodValueError, match="different interpolation settings"):
        split.write(tmp_path / "split.fits")
    assert not (tmp_path / "split.fits").exists()


# --- BAccMod's names ---------------------------------------------------------------------------

def test_baccmod_argument_names_give_the_same_collection():
    models = {10.0: model_2d(), 50.0: model_2d(2.0)}
    collection = BackgroundCollectionZenith(bkg_dict=models, interpolation_type="log",
                                            threshold_value_log_interpolation=1e-300)
    assert collection.log_offset == collection.threshold_value_log_interpolation == 1e-300
    assert collection.settings() == BackgroundCollectionZenith(
        models=models, interpolation_type="log", log_offset=1e-300).settings()
    with pytest.raises(BaccmodTypeError, match="not both"):
        BackgroundCollectionZenith(bkg_dict=models, models=models)
    with pytest.raises(BaccmodTypeError, match="not both"):
        BackgroundCollectionZenith(threshold_value_log_interpolation=1e-300, log_offset=1e-300)


def test_a_zenith_may_be_an_angle_quantity():
    collection = collection_of(model_2d)
    assert np.array_equal(collection[10 * u.deg].data, collection[10.0].data)
    assert np.array_equal(collection.get_model(np.radians(50) * u.rad).data, collection[50.0].data)
    assert np.array_equal(collection.get_closest_model(65 * u.deg).data, collection[70.0].data)
    assert_same_model(collection.get_interpolated_model(30 * u.deg),
                      collection.get_interpolated_model(30))
    with pytest.raises(BackgroundModelFormatException, match="must be in"):
        collection[1 * u.m]


def test_baccmod_attributes_describe_the_models():
    collection = collection_of(model_3d)
    reference = collection[10.0]
    assert collection.type_model is Background3D and collection.unit_model == RATE_UNIT
    assert collection.axes_model == reference.axes
    assert collection.shape_model == (3, 4, 4)
    assert collection.fov_alignment == FoVAlignment.ALTAZ
    assert collection.bkg == dict(collection.items()) and collection.bkg is not collection.bkg
    assert collection.consistent_bkg and collection.max_cleaning_iteration == 50
    empty = BackgroundCollectionZenith()
    assert empty.type_model is None and empty.shape_model is None


def test_inconsistent_models_raise_baccmods_format_exception():
    collection = collection_of(model_2d)
    with pytest.raises(BackgroundModelFormatException, match="edges"):
        collection[30.0] = model_2d(offset_axis=MapAxis.from_edges([0.0, 1.0, 1.5, 2.0],
                                                                   unit="deg", name="offset"))
    assert issubclass(BackgroundModelFormatException, ValueError)
    collection.generate_interpolation_function()
    collection.check_bkg()


def test_split_collection_takes_single_models_for_all_zeniths():
    east, west = model_2d(), model_2d(2.0)
    split = BackgroundCollectionZenithSplitAzimuth(east, bkg_west=west,
                                                   interpolation_type="log")
    assert np.array_equal(split.get_model(45 * u.deg, 90 * u.deg).data, east.data)
    assert np.array_equal(split.get_closest_model(10 * u.deg, 270 * u.deg).data, west.data)
    assert split.west.interpolation_type == split.interpolation_type == "log"
    assert split.get_zenith(90 * u.deg) == [45.0] * u.deg
    assert split.bkg == {"east": split.east, "west": split.west}
    with pytest.raises(BaccmodValueError, match="settings"):
        BackgroundCollectionZenithSplitAzimuth(collection_of(model_2d), west,
                                               interpolation_type="log")


@pytest.mark.parametrize("azimuth, side", [(90 * u.deg, "east"), (np.pi * u.rad, "west"),
                                           (-90 * u.deg, "west"), (400, "east")])
def test_eastwest_names_the_side_of_an_azimuth(azimuth, side):
    assert BackgroundCollectionZenithSplitAzimuth.eastwest(azimuth) == side


def test_both_collections_are_background_collections():
    from baccmod.bkg_collection import BackgroundCollection
    assert isinstance(collection_of(model_2d), BackgroundCollection)
    assert isinstance(split_collection(model_2d), BackgroundCollection)
    assert not isinstance(model_2d(), BackgroundCollection)


# --- statistical errors ------------------------------------------------------------------------

def errors_of(collection, relative=0.05):
    """Give every model of a collection an error of ``relative`` x rate + a bin-dependent
    part, so that no two errors are proportional to the rates."""
    for zenith in collection:
        model = collection[zenith]
        spread = 1 + np.arange(model.data.size).reshape(model.data.shape) % 3
        collection.set_error(zenith, relative * model.quantity * spread)
    return collection


def test_a_models_error_is_kept_as_a_copy_and_forgotten_when_the_model_is_replaced():
    collection = errors_of(collection_of(model_2d))
    error = collection.get_error(50.0)
    assert error.unit == collection.unit and error.shape == (4, 3)
    error[...] = 0 * RATE_UNIT
    assert np.all(collection.get_error(50.0).value > 0)
    assert collection.has_errors()
    collection[50.0] = model_2d(3.0)
    assert not collection.has_errors()
    assert collection.get_error(50.0) is None and collection.get_error(60.0) is None
    assert collection.get_error(10.0) is not None


def test_an_error_in_another_rate_unit_is_converted():
    collection = collection_of(model_2d)
    collection.set_error(10.0, np.ones((4, 3)) * u.Unit("s-1 TeV-1 sr-1"))
    np.testing.assert_allclose(collection.get_error(10.0).to_value(RATE_UNIT), 1e-6)


@pytest.mark.parametrize("error, exception, match", [
    (np.ones((4, 3)), BaccmodTypeError, "must be a Quantity"),
    (np.ones((4, 3)) * u.s, BaccmodValueError, "has unit s"),
    (np.ones((3, 4)) * RATE_UNIT, BaccmodValueError, r"shape \(3, 4\)"),
    (-np.ones((4, 3)) * RATE_UNIT, BaccmodValueError, "finite and >= 0.*12 bins"),
    (np.full((4, 3), np.nan) * RATE_UNIT, BaccmodValueError, "finite and >= 0"),
])
def test_bad_errors_are_refused_naming_the_model(error, exception, match):
    collection = collection_of(model_2d)
    with pytest.raises(exception, match=match) as raised:
        collection.set_error(10.0, error)
    assert "the model at zenith 10.0 deg" in str(raised.value)
    assert collection.get_error(10.0) is None


def test_an_error_needs_a_stored_model():
    with pytest.raises(BaccmodValueError, match="no model at zenith 20.0 deg"):
        collection_of(model_2d).set_error(20.0, np.ones((4, 3)) * RATE_UNIT)


@pytest.mark.parametrize("kind", ["linear", "log"])
def test_interpolated_error_follows_the_core_propagation(kind):
    from baccmod.core.zenith_interpolation import interpolate_cos_zenith_error
    collection = errors_of(collection_of(model_3d, interpolation_type=kind))
    zeniths = [10.0, 50.0, 70.0]
    rates = np.stack([collection[z].data for z in zeniths])
    errors = np.stack([collection.get_error(z).value for z in zeniths])
    expected = interpolate_cos_zenith_error(rates, errors, cos_deg(np.array(zeniths)),
                                            cos_deg(30.0), kind=kind)
    np.testing.assert_array_equal(collection.get_error(30.0).value, expected)
    np.testing.assert_array_equal(collection.interpolated_error(30.0), expected)
    np.testing.assert_array_equal(collection.closest_error(30.0), errors[0])


def test_without_every_models_error_an_interpolated_error_is_not_known():
    collection = errors_of(collection_of(model_2d))
    collection.set_error(70.0, None)
    assert collection.get_error(10.0) is not None
    assert collection.get_error(30.0) is None and collection.closest_error(65.0) is None


@pytest.mark.parametrize("dimension", ["2d", "3d"])
def test_fits_round_trip_keeps_the_errors_in_a_bkg_err_column(tmp_path, dimension):
    collection = errors_of(collection_of(MAKERS[dimension], zeniths=EXACT_ZENITHS,
                                         **EXACT_SETTINGS))
    collection.set_error(100 / 3, collection.get_error(100 / 3) / 3)
    collection.set_error(0.0, None)
    path = tmp_path / "collection.fits"
    collection.write(path)
    read = BackgroundCollectionZenith.read(path)
    assert_same_collection(read, collection)
    assert read.get_error(0.0) is None
    for zenith in EXACT_ZENITHS[1:]:
        np.testing.assert_array_equal(read.get_error(zenith), collection.get_error(zenith))
    with fits.open(path) as hdus:
        assert "BKG_ERR" not in hdus["BKG_ZEN0"].columns.names
        assert hdus["BKG_ZEN2"].columns["BKG_ERR"].unit == hdus["BKG_ZEN2"].columns["BKG"].unit
    # GADF readers still read a model HDU
    model_class = type(collection[0.0])
    gammapy_read = model_class.read(path, hdu="BKG_ZEN2")
    np.testing.assert_array_equal(gammapy_read.data, collection[100 / 3].data)


def test_split_collection_keeps_each_sides_errors_through_fits(tmp_path):
    split = split_collection(model_2d)
    errors_of(split.east, 0.1)
    errors_of(split.west, 0.2)
    split.write(tmp_path / "split.fits")
    read = BackgroundCollectionZenithSplitAzimuth.read(tmp_path / "split.fits")
    for azimuth in (90.0, 270.0):
        for zenith in (20.0, 40.0):
            np.testing.assert_array_equal(read.get_error(zenith, azimuth),
                                          split.get_error(zenith, azimuth))
    assert not np.array_equal(read.get_error(20.0, 90.0), read.get_error(20.0, 270.0))


def test_a_file_of_format_version_1_is_read_without_errors(tmp_path):
    path = tmp_path / "version1.fits"
    collection = collection_of(model_2d)
    collection.write(path)  # without errors: the version 1 layout
    fits.setval(path, "FMTVERS", value=1)
    read = BackgroundCollectionZenith.read(path)
    assert_same_collection(read, collection)
    assert not read.has_errors() and read.get_error(30.0) is None


def test_models_with_products_in_their_meta_are_written_quietly(tmp_path, recwarn):
    model = model_2d()
    model.meta["baccmod"] = {"counts": np.ones((4, 3))}
    collection = BackgroundCollectionZenith({20.0: model})
    collection.write(tmp_path / "collection.fits")
    assert not [w for w in recwarn if "baccmod" in str(w.message)]
    assert "baccmod" not in BackgroundCollectionZenith.read(tmp_path / "collection.fits")[20.0].meta


def test_errors_survive_pickling():
    collection = errors_of(collection_of(model_3d))
    copy = pickle.loads(pickle.dumps(collection))
    np.testing.assert_array_equal(copy.get_error(30.0), collection.get_error(30.0))
