"""Every model baccmod returns owns its data (issue 7, item 3.3): editing one in place changes
no other model, no collection and no later answer."""
import numpy as np
import pytest
from gammapy.maps import MapAxis

from baccmod import (BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth,
                     Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator)
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]


def spoil(model):
    """Edit a model's data in place, as a user scaling it would."""
    model.data *= 3.0
    model.data[0] = 0.0


@pytest.fixture(scope="module", params=CREATORS, ids=["2d", "3d"])
def stacked(request):
    """A creator and a stacked model of two runs."""
    creator = request.param(ENERGY, OFFSET)
    return creator, creator.create_acceptance_map([make_observation(1, seed=1),
                                                   make_observation(2, seed=2)])


@pytest.mark.parametrize("normalise", [False, True])
def test_per_run_models_share_no_data_with_each_other_nor_with_the_base_model(stacked,
                                                                              normalise):
    creator, base = stacked
    base_before = base.data.copy()
    runs = [make_observation(3, seed=3), make_observation(4, seed=4)]
    models = creator.create_acceptance_map_per_observation(
        runs, base_model=base, runwise_normalisation=normalise)
    second_before = models[4].data.copy()
    spoil(models[3])
    np.testing.assert_array_equal(models[4].data, second_before)
    np.testing.assert_array_equal(base.data, base_before)
    spoil(base)
    np.testing.assert_array_equal(models[4].data, second_before)
    base.data[...] = base_before


def test_per_run_models_built_from_the_runs_share_no_data(stacked):
    creator, _ = stacked
    models = creator.create_acceptance_map_per_observation(
        [make_observation(5, seed=5), make_observation(6, seed=6)], runwise_normalisation=False)
    second_before = models[6].data.copy()
    spoil(models[5])
    np.testing.assert_array_equal(models[6].data, second_before)


def zenith_collection(stacked):
    creator, model = stacked
    return BackgroundCollectionZenith({zenith: creator._spec.wrap(model.data * scale)
                                       for zenith, scale in ((10.0, 1.0), (40.0, 2.0),
                                                             (60.0, 5.0))})


#: Ways of getting a model out of a zenith collection.
GETTERS = {
    "item": lambda c: c[40],
    "values": lambda c: list(c.values())[1],
    "get_model stored": lambda c: c.get_model(40),
    "get_model interpolated": lambda c: c.get_model(30),
    "get_closest_model": lambda c: c.get_closest_model(42),
    "get_interpolated_model": lambda c: c.get_interpolated_model(50),
}


def answers(collection):
    """What the collection answers, as arrays (the interpolation uses its cache)."""
    return [collection[z].data.copy() for z in collection] + [
        collection.get_interpolated_model(25).data, collection.interpolated_rate(50),
        collection.closest_rate(41), collection.get_closest_model(41).data]


@pytest.mark.parametrize("getter", sorted(GETTERS))
def test_models_from_a_collection_are_copies_and_its_cache_stays_right(stacked, getter):
    collection = zenith_collection(stacked)
    before = answers(collection)  # fills the cache
    spoil(GETTERS[getter](collection))
    for after, expected in zip(answers(collection), before):
        np.testing.assert_array_equal(after, expected)


def test_editing_a_model_after_putting_it_in_a_collection_leaves_the_collection(stacked):
    collection = zenith_collection(stacked)
    given = collection[60]
    collection[70.0] = given
    before = answers(collection)
    spoil(given)
    for after, expected in zip(answers(collection), before):
        np.testing.assert_array_equal(after, expected)


def test_a_split_collection_returns_copies(stacked):
    split = BackgroundCollectionZenithSplitAzimuth(east=zenith_collection(stacked),
                                                   west=zenith_collection(stacked))
    before = answers(split.east)
    spoil(split.get_model(40, 90))
    spoil(split.get_closest_model(40, 90))
    for after, expected in zip(answers(split.east), before):
        np.testing.assert_array_equal(after, expected)


def test_replacing_a_model_updates_the_cached_answers(stacked):
    collection = zenith_collection(stacked)
    before = collection.get_interpolated_model(25).data.copy()
    replacement = collection[40]
    replacement.data = replacement.data * 2
    collection[40] = replacement
    assert not np.allclose(collection.get_interpolated_model(25).data, before)
