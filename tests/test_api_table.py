"""baccmod as a drop-in for BAccMod: every name of ``api_table.py`` is there (or, for issue 8 and
the omitted names, is not), with BAccMod's parameters and defaults; calls return the types
and units BAccMod users get. Checked against baccmod only (BAccMod is never imported)."""
import importlib
import inspect

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time
from gammapy.irf import Background2D, Background3D, FoVAlignment
from gammapy.maps import MapAxis

from api_table import (DIFFERS, GRID3D, ISSUE_8, ISSUE_8_OPTIONS, OMITTED, RADIAL,
                       REQUIRED, ROWS, SAME, SPLIT, SUBCLASSES, ZENITH)
from observations import HESS, START, make_observation

RATE_UNIT = u.Unit("s-1 MeV-1 sr-1")
ENERGY = MapAxis.from_energy_bounds(0.1 * u.TeV, 10 * u.TeV, 4, name="energy")
OFFSET = MapAxis.from_bounds(0 * u.deg, 2 * u.deg, 4, unit="deg", name="offset")
PROVIDED = [r for r in ROWS if r.status in (SAME, DIFFERS) and r.kind != "option"]
ABSENT = [r for r in ROWS if r.status in (ISSUE_8, OMITTED)]
MEMBER_KINDS = ("method", "staticmethod", "attribute")


def resolve(name):
    """The object a dotted BAccMod name denotes in baccmod (ImportError/AttributeError if none)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part)
        return found
    raise ImportError(name)


def background_2d(scale):
    return Background2D(axes=[ENERGY, OFFSET], data=scale * np.ones((4, 4)), unit=RATE_UNIT)


@pytest.fixture(scope="module")
def instances():
    """One instance per class, built with default options."""
    from baccmod import (BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth,
                         Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator)
    zenith = BackgroundCollectionZenith({20.0: background_2d(1.0), 40.0: background_2d(2.0)})
    return {RADIAL: RadialAcceptanceMapCreator(ENERGY, OFFSET),
            GRID3D: Grid3DAcceptanceMapCreator(ENERGY, OFFSET), ZENITH: zenith,
            SPLIT: BackgroundCollectionZenithSplitAzimuth(zenith, background_2d(3.0))}


def owners(row, instances):
    """Instances carrying a member row (all subclasses for a base class's member)."""
    owner = row.name.rsplit(".", 1)[0]
    return [instances[name] for name in SUBCLASSES.get(owner, [owner])]


def parameters_of(function):
    return [p for p in inspect.signature(function).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize("row", PROVIDED, ids=lambda r: r.name)
def test_name_is_provided(row, instances):
    if row.kind == "module":
        importlib.import_module(row.name)
    elif row.kind in MEMBER_KINDS:
        name = row.name.rsplit(".", 1)[1]
        for owner in owners(row, instances):
            member = getattr(owner, name)
            assert inspect.isroutine(member) == (row.kind != "attribute"), name
            if row.kind == "staticmethod":
                assert isinstance(inspect.getattr_static(type(owner), name), staticmethod)
    else:
        found = resolve(row.name)
        assert inspect.isclass(found) if row.kind == "class" else \
            isinstance(found, int) if row.kind == "constant" else callable(found)
    assert row.status == SAME or row.note, "a difference must say what differs"


@pytest.mark.parametrize("row", [r for r in ROWS if r.parameters], ids=lambda r: r.name)
def test_parameters_and_defaults_are_baccmods(row):
    found = resolve(row.name)
    ours = parameters_of(found.__init__ if inspect.isclass(found) else found)
    names = [p.name for p in ours]
    positional = [p.name for p in ours if p.kind == p.POSITIONAL_OR_KEYWORD]
    expected_positional = [p.name for p in row.parameters if p.positional]
    for expected in row.parameters:
        assert expected.name in names, f"{row.name} has no parameter {expected.name}"
        parameter = ours[names.index(expected.name)]
        if expected.default is not REQUIRED:
            assert parameter.default is not parameter.empty
            assert np.all(parameter.default == expected.default), expected.name
        if expected.positional:
            assert positional.index(expected.name) == expected_positional.index(expected.name)


@pytest.mark.parametrize("row", ABSENT, ids=lambda r: r.name)
def test_issue_8_and_omitted_names_are_absent(row, instances):
    if row.kind == "module":
        with pytest.raises(ImportError):
            importlib.import_module(row.name)
    elif row.kind == "option":
        owner, name = row.name[:-1].split("(")
        cls = resolve(SUBCLASSES.get(owner, [owner])[0])
        axes = [ENERGY, OFFSET] if "Creator" in cls.__name__ else []
        expected = NotImplementedError if row.status == ISSUE_8 else TypeError
        with pytest.raises(expected, match=name):
            cls(*axes, **{name: ISSUE_8_OPTIONS.get(name, 1.0)})
    elif row.kind in MEMBER_KINDS:
        for owner in owners(row, instances):
            assert not hasattr(owner, row.name.rsplit(".", 1)[1])
    else:
        with pytest.raises((ImportError, AttributeError)):
            resolve(row.name)


def test_the_fit_options_of_issue_8_are_accepted_and_kept():
    creator = resolve(GRID3D)(ENERGY, OFFSET, **ISSUE_8_OPTIONS)
    assert {name: getattr(creator, name) for name in ISSUE_8_OPTIONS} == ISSUE_8_OPTIONS


@pytest.fixture(scope="module")
def runs():
    return [make_observation(obs_id=1, n_events=3000),
            make_observation(obs_id=2, n_events=3000, pointing=(330.7, -30.2), seed=1)]


RETURNS = [
    ("BackgroundCollectionZenith.get_zenith()",
     lambda i, runs: i[ZENITH].get_zenith(), u.Quantity, u.deg),
    ("BackgroundCollectionZenith.get_model(20 deg)",
     lambda i, runs: i[ZENITH].get_model(20 * u.deg), Background2D, RATE_UNIT),
    ("BackgroundCollectionZenith.get_closest_model(25 deg)",
     lambda i, runs: i[ZENITH].get_closest_model(25 * u.deg), Background2D, RATE_UNIT),
    ("BackgroundCollectionZenith.get_interpolated_model(30 deg)",
     lambda i, runs: i[ZENITH].get_interpolated_model(30 * u.deg), Background2D, RATE_UNIT),
    ("BackgroundCollectionZenithSplitAzimuth.eastwest(90 deg)",
     lambda i, runs: i[SPLIT].eastwest(90 * u.deg), str, None),
    ("BackgroundCollectionZenithSplitAzimuth.get_zenith(90 deg)",
     lambda i, runs: i[SPLIT].get_zenith(90 * u.deg), u.Quantity, u.deg),
    ("BackgroundCollectionZenithSplitAzimuth.get_closest_model(25 deg, 270 deg)",
     lambda i, runs: i[SPLIT].get_closest_model(25 * u.deg, 270 * u.deg), Background2D,
     RATE_UNIT),
    ("RadialAcceptanceMapCreator.max_offset", lambda i, runs: i[RADIAL].max_offset,
     u.Quantity, u.deg),
    ("RadialAcceptanceMapCreator.create_model(runs)",
     lambda i, runs: i[RADIAL].create_model(runs), Background2D, RATE_UNIT),
    ("Grid3DAcceptanceMapCreator.create_model(runs)",
     lambda i, runs: i[GRID3D].create_model(runs), Background3D, RATE_UNIT),
    ("RadialAcceptanceMapCreator.create_acceptance_model(runs)",
     lambda i, runs: i[RADIAL].create_acceptance_model(runs), Background2D, RATE_UNIT),
    ("RadialAcceptanceMapCreator.create_acceptance_model(runs, zenith_binning=True)",
     lambda i, runs: i[RADIAL].create_acceptance_model(runs, zenith_binning=True),
     resolve(ZENITH), None),
    ("toolbox.compute_rotation_speed_fov",
     lambda i, runs: resolve("baccmod.toolbox.compute_rotation_speed_fov")(
         START, SkyCoord(329.7, -30.2, unit="deg"), HESS), u.Quantity, u.rad / u.s),
    ("toolbox.get_unique_wobble_pointings",
     lambda i, runs: resolve("baccmod.toolbox.get_unique_wobble_pointings")(runs), np.ndarray,
     None),
    ("toolbox.generate_irf_from_mini_irf",
     lambda i, runs: resolve("baccmod.toolbox.generate_irf_from_mini_irf")(
         np.ones((2, 3)) * RATE_UNIT, [1, 2] * u.s), u.Quantity, RATE_UNIT),
]


@pytest.mark.parametrize("label, call, kind, unit", RETURNS, ids=[r[0] for r in RETURNS])
def test_return_types_and_units(label, call, kind, unit, instances, runs):
    value = call(instances, runs)
    assert type(value) is kind
    if unit is not None:
        assert value.unit == unit


def test_3d_models_are_altaz_aligned(instances, runs):
    assert instances[GRID3D].create_model(runs).fov_alignment == FoVAlignment.ALTAZ


def test_per_run_models_are_keyed_by_integer_obs_id(instances, runs):
    models = instances[RADIAL].create_acceptance_map_per_observation(runs)
    assert sorted(models) == [1, 2] and all(type(key) is int for key in models)
    assert all(type(model) is Background2D for model in models.values())


def test_mini_irf_times_are_a_time_and_a_duration(runs):
    times, durations = resolve("baccmod.toolbox.get_time_mini_irf")(runs[0], 1 * u.min)
    assert isinstance(times, Time) and durations.unit == u.min
