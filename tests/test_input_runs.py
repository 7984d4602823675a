"""The runs given to a creator: a list of gammapy Observations, each run once (issue 7, items
3.1 and 3.2). Anything else is refused before any run is read, saying how to give the runs."""
from pathlib import Path

import numpy as np
import pytest
from gammapy.data import DataStore, Observations
from gammapy.maps import MapAxis

from baccmod import (BaccmodTypeError, BaccmodValueError, Grid3DAcceptanceMapCreator,
                     RadialAcceptanceMapCreator)
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]

#: Each way of calling a creator with a list of runs, and the name of that argument.
CALLS = {
    "create_acceptance_map": (lambda c, runs: c.create_acceptance_map(runs), "observations"),
    "create_model_cos_zenith_binned": (lambda c, runs: c.create_model_cos_zenith_binned(runs),
                                       "observations"),
    "per_observation": (lambda c, runs: c.create_acceptance_map_per_observation(runs),
                        "observations"),
    "per_observation_off": (lambda c, runs: c.create_acceptance_map_per_observation(
        [make_observation(50)], off_observations=runs), "off_observations"),
    "create_acceptance_model": (lambda c, runs: c.create_acceptance_model(runs),
                                "off_observations"),
}


def unreadable_run(obs_id):
    """A run that cannot be read (no site): reading it would raise MissingLocationError."""
    return make_observation(obs_id, location=None)


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("creator", CREATORS)
def test_a_run_given_twice_is_refused_before_any_run_is_read(creator, call):
    make_call, name = CALLS[call]
    runs = [unreadable_run(7), unreadable_run(8), unreadable_run(7)]
    with pytest.raises(BaccmodValueError, match=rf"{name} hold obs_id 7 more than once") as error:
        make_call(creator(ENERGY, OFFSET), runs)
    assert "sorted(set(obs_ids))" in str(error.value)


def test_every_repeated_obs_id_is_named_also_in_a_gammapy_observations():
    runs = Observations([make_observation(i) for i in (3, 4, 3, 5, 4)])
    with pytest.raises(BaccmodValueError, match="obs_id 3, 4 more than once"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map(runs)


def test_a_run_without_obs_id_is_refused_naming_its_position():
    nameless = make_observation(2)
    nameless.obs_id = None
    with pytest.raises(BaccmodValueError, match=r"observations\[1\] has no obs_id"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map(
            [make_observation(1), nameless])


BAD_CONTAINERS = {
    "data store": (lambda: DataStore(hdu_table=None, obs_table=None),
                   "not a DataStore: select them with data_store.get_observations"),
    "single observation": (lambda: make_observation(4),
                           r"single Observation \(obs_id 4\): pass \[observation\]"),
    "path string": (lambda: "hess-dl3-dr1/", "DataStore.from_dir"),
    "path": (lambda: Path("hess-dl3-dr1"), "DataStore.from_dir"),
    "dict of runs": (lambda: {1: make_observation(1)}, r"list\(runs.values\(\)\)"),
    "number": (lambda: 23523, r"got 23523 \(int\)"),
    "list of obs_ids": (lambda: [23523, 23526], r"\[0\] is 23523 \(int\), not a gammapy "
                                                "Observation"),
    "array of obs_ids": (lambda: np.array([23523]), r"\[0\] is .*23523.* not a gammapy"),
    "list holding None": (lambda: [make_observation(1), None], r"\[1\] is None"),
}


@pytest.mark.parametrize("kind", sorted(BAD_CONTAINERS))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_things_other_than_a_list_of_runs_are_refused_saying_what_to_give(call, kind):
    make_call, name = CALLS[call]
    make_value, match = BAD_CONTAINERS[kind]
    with pytest.raises(BaccmodTypeError, match=match) as error:
        make_call(RadialAcceptanceMapCreator(ENERGY, OFFSET), make_value())
    assert str(error.value).startswith(name)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_no_run_is_refused(call):
    make_call, name = CALLS[call]
    with pytest.raises(BaccmodValueError, match=f"no {name} given"):
        make_call(RadialAcceptanceMapCreator(ENERGY, OFFSET), [])


def test_lists_tuples_generators_and_observations_give_the_same_model():
    runs = [make_observation(1, seed=1), make_observation(2, seed=2)]
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET)
    expected = creator.create_acceptance_map(runs).data
    for given in (tuple(runs), (run for run in runs), Observations(runs)):
        np.testing.assert_array_equal(creator.create_acceptance_map(given).data, expected)
