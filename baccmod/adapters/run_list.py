"""The runs given to a creator: a list of gammapy ``Observation`` objects, each run once."""
from collections import Counter
from collections.abc import Mapping
from os import PathLike

from gammapy.data import DataStore, Observation

from ..errors import BaccmodTypeError, BaccmodValueError

_HOW = ("give a list of gammapy Observation objects (or a gammapy Observations), e.g. "
        "data_store.get_observations(obs_ids, required_irf=[]).")


def observation_list(observations, name="observations"):
    """The runs as a list, after checking them.

    Parameters
    ----------
    observations : gammapy.data.Observations or iterable of gammapy.data.Observation
    name : str
        The argument's name, for the messages.

    Returns
    -------
    list of gammapy.data.Observation

    Raises
    ------
    BaccmodTypeError
        For anything but an iterable of Observation objects (a DataStore, a single
        Observation, a path, a dict, obs_ids...), saying how to give the runs.
    BaccmodValueError
        For no run, a run without obs_id, or an obs_id given more than once (the run would
        count twice in a stacked model and collapse in the per-run models).
    """
    if observations is None:
        raise BaccmodValueError(f"no {name} given: pass at least one run.")
    _check_container(observations, name)
    runs = list(observations)
    if not runs:
        raise BaccmodValueError(f"no {name} given: pass at least one run.")
    for index, obs in enumerate(runs):
        if not isinstance(obs, Observation):
            raise BaccmodTypeError(f"{name}[{index}] is {_shown(obs)}, not a gammapy "
                                   f"Observation: {_HOW}")
    _check_obs_ids(runs, name)
    return runs


def _check_container(observations, name):
    """Raise for the usual things given instead of a list of runs, saying what to give."""
    if isinstance(observations, DataStore):
        raise BaccmodTypeError(f"{name} must be runs, not a DataStore: select them with "
                               "data_store.get_observations(obs_ids, required_irf=[]).")
    if isinstance(observations, Observation):
        raise BaccmodTypeError(f"{name} must be a list of runs, got a single Observation "
                               f"(obs_id {observations.obs_id}): pass [observation].")
    if isinstance(observations, (str, bytes, PathLike)):
        raise BaccmodTypeError(f"{name} must be runs, got {_shown(observations)}: read them "
                               "with DataStore.from_dir(path).get_observations(obs_ids, "
                               "required_irf=[]).")
    if isinstance(observations, Mapping):
        raise BaccmodTypeError(f"{name} must be a list of runs, not a mapping: pass "
                               "list(runs.values()).")
    try:
        iter(observations)
    except TypeError:
        raise BaccmodTypeError(f"{name} must be a list of runs, got {_shown(observations)}: "
                               f"{_HOW}") from None


def _shown(value):
    """A short description of a value for the messages: its repr (cut) and its type."""
    return f"{value!r:.60} ({type(value).__name__})"


def _check_obs_ids(runs, name):
    """Raise if a run has no obs_id or an obs_id appears more than once."""
    obs_ids = [obs.obs_id for obs in runs]
    if None in obs_ids:
        raise BaccmodValueError(f"{name}[{obs_ids.index(None)}] has no obs_id: give every run "
                                "one (Observation(obs_id=...)); the per-run models are keyed "
                                "by it.")
    repeated = [obs_id for obs_id, n in Counter(obs_ids).items() if n > 1]
    if repeated:
        raise BaccmodValueError(
            f"{name} hold obs_id {', '.join(map(str, repeated))} more than once: give each run "
            "once (a repeated run counts twice in a stacked model); drop the repeats, e.g. "
            "data_store.get_observations(sorted(set(obs_ids)), required_irf=[]).")
