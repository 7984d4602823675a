"""The YAML config: its template validates as is, bad keys and units are refused by name."""
import pytest
import yaml
from astropy import units as u

from baccmod import BaccmodValueError
from baccmod.config import TEMPLATE, BaccmodConfig, quantity_or_value


def template_with(**sections):
    """The template's data with some sections' keys replaced."""
    data = yaml.safe_load(TEMPLATE)
    for section, values in sections.items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section].update(values)
        else:
            data[section] = values
    return yaml.safe_dump(data)


def test_template_validates_as_is_with_paths_from_the_config_folder(tmp_path):
    path = tmp_path / "baccmod.yaml"
    path.write_text(TEMPLATE)
    config = BaccmodConfig.read(path)
    assert config.data.datastore == tmp_path / "hess-dl3-dr1"
    assert config.outputs.datastore == tmp_path / "background-datastore"
    assert config.exclusions.circles[0].radius == 0.4 * u.deg
    assert config.axes.offset.max == 2.5 * u.deg


def test_template_has_a_comment_for_every_section():
    for section in BaccmodConfig.model_fields:
        line = next(t for t in TEMPLATE.splitlines() if t.startswith(f"{section}:"))
        following = TEMPLATE.split(line, 1)[1].splitlines()[:3]
        assert "#" in line or any("#" in t for t in following), section


def test_config_round_trips_through_yaml():
    config = BaccmodConfig.from_yaml(TEMPLATE)
    assert BaccmodConfig.from_yaml(config.to_yaml()) == config


@pytest.mark.parametrize("sections, key", [
    ({"model": {"colour": "red"}}, "model.colour: unknown key"),
    ({"surprise": 1}, "surprise: unknown key"),
    ({"data": {"cone": {"ra": "1 deg", "dec": "2 deg", "radius": "2 TeV"}}},
     "data.cone.radius: '2 TeV' is not an angle"),
    ({"axes": {"energy": {"min": "0.1 deg", "max": "10 TeV", "nbin": 3}}},
     "axes.energy.min: '0.1 deg' is not an energy"),
    ({"axes": {"offset": {"max": 2.5, "nbin": 5}}}, "axes.offset.max: 2.5 has no unit"),
    ({"axes": {"offset": {"max": "2.5 dgr", "nbin": 5}}}, "axes.offset.max: '2.5 dgr' is not a"),
    ({"axes": {"offset": {"max": "2 deg", "nbin": 0}}}, "axes.offset.nbin"),
    ({"model": {"kind": "cubic"}}, "model.kind"),
    ({"data": {"zenith_range": ["50 deg", "10 deg"]}}, "data.zenith_range: the first zenith"),
    ({"data": {"datastore": None}}, "data.datastore"),
])
def test_bad_key_named(sections, key):
    with pytest.raises(BaccmodValueError, match="bad config") as error:
        BaccmodConfig.from_yaml(template_with(**sections))
    assert key in str(error.value)


def test_missing_data_section_named():
    with pytest.raises(BaccmodValueError, match="data: required key missing"):
        BaccmodConfig.from_yaml("model: {kind: radial}\n")


def test_not_a_mapping_refused():
    with pytest.raises(BaccmodValueError, match="YAML mapping"):
        BaccmodConfig.from_yaml("- a\n- b\n")


def test_missing_input_files_named(tmp_path):
    config = BaccmodConfig.from_yaml(template_with(exclusions={"mask_file": "mask.fits"}),
                                     base_dir=tmp_path)
    (tmp_path / "hess-dl3-dr1").mkdir()
    assert [key for key, _ in config.missing_files()] == ["exclusions.mask_file"]
    with pytest.raises(BaccmodValueError, match="exclusions.mask_file: .*mask.fits"):
        config.check_files()


def test_off_runs_default_to_the_data_store(tmp_path):
    config = BaccmodConfig.from_yaml(template_with(off_runs={"target": "Off"}),
                                     base_dir=tmp_path)
    assert config.off_runs.datastore == config.data.datastore


def test_creator_options_from_model_zenith_and_normalisation():
    config = BaccmodConfig.from_yaml(template_with(
        model={"options": {"max_angular_separation_wobble": "0.3 deg",
                           "interpolation_type": "log"}},
        normalisation={"energy_range": ["1 TeV", "10 TeV"], "method": "fit"}))
    options = config.creator_options()
    assert options["max_angular_separation_wobble"] == 0.3 * u.deg
    assert options["interpolation_type"] == "log"
    assert options["cos_zenith_binning_method"] == "min_livetime"
    assert options["oversample_map"] == 10
    assert u.allclose(options["runwise_normalisation_energy_range"], [1, 10] * u.TeV)
    assert options["runwise_normalisation_method"] == "fit"


@pytest.mark.parametrize("text, expected", [
    ("0.4 deg", 0.4 * u.deg), ("1e-3 TeV", 1e-3 * u.TeV), ("linear", "linear"),
    ("min_livetime", "min_livetime"), ("3 apples", "3 apples"), (5, 5)])
def test_quantity_strings_read(text, expected):
    assert quantity_or_value(text) == expected


def test_rate_per_reaches_the_creator_and_only_its_two_values_are_accepted():
    config = BaccmodConfig.from_yaml(template_with(model={"rate_per": "observation_time"}))
    assert config.creator_options()["rate_per"] == "observation_time"
    assert BaccmodConfig.from_yaml(TEMPLATE).creator_options()["rate_per"] == "livetime"
    with pytest.raises(BaccmodValueError, match="model.rate_per"):
        BaccmodConfig.from_yaml(template_with(model={"rate_per": "ontime"}))
