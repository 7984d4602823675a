"""A zenith collection never holds a model it cannot use (issue 7, items 3.4 and 3.5):
non-finite, negative or all-zero rates, zeniths too close to interpolate between, and files
holding two models at one zenith are refused, naming the model (zenith, side) or the file."""
import numpy as np
import pytest
from astropy.io import fits
from gammapy.irf import Background2D

from baccmod.collection import BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth
from baccmod.errors import BaccmodValueError
from test_collection import ENERGY_2D, MAKERS, OFFSET, RATE_UNIT, collection_of, model_2d

#: Ways a model's rates can be unusable, and what the message says.
BAD_RATES = {
    "nan": (lambda data: data.__setitem__((1, 1), np.nan), "1 non-finite rates"),
    "inf": (lambda data: data.__setitem__((0, 2), np.inf), "1 non-finite rates"),
    "negative": (lambda data: data.__setitem__((2, 0), -1e-3), "1 negative rates"),
    "all zero": (lambda data: data.__setitem__(Ellipsis, 0.0), "only zero rates"),
}


def bad_model(kind, dimension="2d"):
    model = MAKERS[dimension]()
    spoil, _ = BAD_RATES[kind]
    data = model.data.copy()
    spoil(data.reshape(data.shape[0], -1))  # a view: energy x spatial bins
    model.data = data
    return model


@pytest.mark.parametrize("dimension", sorted(MAKERS))
@pytest.mark.parametrize("kind", sorted(BAD_RATES))
def test_a_model_with_unusable_rates_is_refused_naming_its_zenith(kind, dimension):
    collection = collection_of(MAKERS[dimension])
    with pytest.raises(BaccmodValueError, match=f"model at zenith 30.0 deg has "
                                                f"{BAD_RATES[kind][1]}"):
        collection[30] = bad_model(kind, dimension)
    assert list(collection) == [10.0, 50.0, 70.0]
    with pytest.raises(BaccmodValueError, match="zenith 20.0 deg"):
        BackgroundCollectionZenith({20: bad_model(kind, dimension)})


def test_zero_rates_in_some_bins_are_fine():
    model = model_2d()
    model.data = np.where(np.arange(12).reshape(4, 3) < 3, 0.0, model.data)
    BackgroundCollectionZenith({20: model})


def test_a_zenith_within_1e_6_deg_of_a_stored_one_is_refused_but_replacing_it_works():
    collection = collection_of(model_2d)
    with pytest.raises(BaccmodValueError, match=r"within 1e-06 deg of the stored zenith 50.0"):
        collection[50 + 5e-7] = model_2d(3)
    collection[50] = model_2d(3)
    np.testing.assert_array_equal(collection[50].data, model_2d(3).data)


def spoil_file_rates(path, hdu_name, value):
    """Write ``value`` into the first bin of the model HDU ``hdu_name`` of a collection file."""
    with fits.open(path, mode="update") as hdus:
        hdus[hdu_name].data["BKG"][0].flat[0] = value


@pytest.mark.parametrize("value, what", [(np.nan, "non-finite"), (np.inf, "non-finite"),
                                         (-2.0, "negative")])
def test_a_file_with_unusable_rates_is_refused_naming_the_file_and_hdu(tmp_path, value, what):
    path = tmp_path / "collection.fits"
    collection_of(model_2d).write(path)
    spoil_file_rates(path, "BKG_ZEN1", value)
    with pytest.raises(BaccmodValueError, match=rf"collection.fits, HDU 'BKG_ZEN1': the model "
                                                rf"at zenith 50.0 deg has 1 {what} rates"):
        BackgroundCollectionZenith.read(path)


def test_a_split_file_with_unusable_rates_is_refused_naming_the_hdu(tmp_path):
    path = tmp_path / "split.fits"
    BackgroundCollectionZenithSplitAzimuth(east=collection_of(model_2d),
                                           west=collection_of(model_2d)).write(path)
    spoil_file_rates(path, "BKG_ZEN4", np.nan)  # the west side's second model
    with pytest.raises(BaccmodValueError, match=r"split.fits, HDU 'BKG_ZEN4'.*zenith 50.0 deg"):
        BackgroundCollectionZenithSplitAzimuth.read(path)


@pytest.mark.parametrize("zenith", [10.0, 10.0 + 1e-7])
def test_a_file_with_two_models_at_one_zenith_is_refused_naming_both_hdus(tmp_path, zenith):
    path = tmp_path / "collection.fits"
    collection_of(model_2d).write(path)
    fits.setval(path, "ZENITH", value=zenith, ext=2)
    with pytest.raises(BaccmodValueError, match=r"collection.fits, HDU 'BKG_ZEN1': ZENITH .* "
                                                r"also the zenith of HDU 'BKG_ZEN0'"):
        BackgroundCollectionZenith.read(path)


def test_a_split_file_may_hold_one_zenith_on_each_side_but_not_twice_on_one(tmp_path):
    path = tmp_path / "split.fits"
    split = BackgroundCollectionZenithSplitAzimuth(east=collection_of(model_2d),
                                                   west=collection_of(model_2d))
    split.write(path)
    read = BackgroundCollectionZenithSplitAzimuth.read(path)
    assert list(read.east) == list(read.west) == [10.0, 50.0, 70.0]
    fits.setval(path, "ZENITH", value=70.0, ext=5)
    with pytest.raises(BaccmodValueError, match="HDU 'BKG_ZEN5'.*also the zenith of HDU "
                                                "'BKG_ZEN4'"):
        BackgroundCollectionZenithSplitAzimuth.read(path)


def test_a_file_zenith_outside_0_90_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "collection.fits"
    BackgroundCollectionZenith({10: Background2D(axes=[ENERGY_2D, OFFSET],
                                                 data=np.ones((4, 3)), unit=RATE_UNIT)}
                               ).write(path)
    fits.setval(path, "ZENITH", value=95.0, ext=1)
    with pytest.raises(BaccmodValueError, match=r"collection.fits, HDU 'BKG_ZEN0': zenith 95.0"):
        BackgroundCollectionZenith.read(path)
