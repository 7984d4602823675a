"""The YAML config of the command line, validated by pydantic (like gammapy's AnalysisConfig).

Every section refuses unknown keys; quantities are strings read by astropy (``"0.4 deg"``)
and checked for their physical type; relative paths are relative to the config file's folder.
Errors name the offending key (``data.cone.radius``). :data:`TEMPLATE` is the
commented config ``baccmod init`` writes.
"""
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml
from astropy import units as u
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer,
                      ValidationError, ValidationInfo, field_validator, model_validator)

from .errors import BaccmodValueError

#: A string that reads as a number with a unit, e.g. "0.4 deg" or "1e-3 TeV".
QUANTITY_PATTERN = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*[A-Za-z].*$")


def _quantity_of(physical_type):
    def parse(value):
        if isinstance(value, u.Quantity):
            quantity = value
        elif isinstance(value, str):
            try:
                quantity = u.Quantity(value)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{value!r} is not a quantity ({error}); write e.g. "
                                 f"\"1 {_EXAMPLE_UNITS[physical_type]}\"") from None
        else:
            raise ValueError(f"{value!r} has no unit: write a string such as "
                             f"\"1 {_EXAMPLE_UNITS[physical_type]}\"")
        if quantity.unit.physical_type != physical_type:
            raise ValueError(f"{value!r} is not a{'n' if physical_type[0] in 'ae' else ''} "
                             f"{physical_type} (unit {quantity.unit or 'none'})")
        return quantity
    return Annotated[u.Quantity, BeforeValidator(parse),
                     PlainSerializer(lambda q: q.to_string(), return_type=str)]


_EXAMPLE_UNITS = {"angle": "deg", "energy": "TeV"}
Angle = _quantity_of("angle")
Energy = _quantity_of("energy")


def _resolved_path(value, info: ValidationInfo):
    path = Path(value).expanduser()
    base = (info.context or {}).get("base_dir")
    return path if path.is_absolute() or base is None else Path(base) / path


FilePath = Annotated[Path, PlainSerializer(str, return_type=str)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    @field_validator("*", mode="after")
    @classmethod
    def _paths_relative_to_config(cls, value, info):
        if isinstance(value, Path):
            return _resolved_path(value, info)
        return value


class Cone(Section):
    """Runs pointed within ``radius`` of (ra, dec), ICRS."""
    ra: Angle
    dec: Angle
    radius: Angle


class RunSelection(Section):
    """Runs of a data store: ``obs_ids`` and/or cuts (all must hold)."""
    datastore: Optional[FilePath] = None
    obs_ids: Optional[list[int]] = None
    cone: Optional[Cone] = None
    zenith_range: Optional[tuple[Angle, Angle]] = None
    target: Optional[str] = None

    @field_validator("zenith_range")
    @classmethod
    def _ordered(cls, value):
        if value is not None and value[0] >= value[1]:
            raise ValueError("the first zenith must be below the second")
        return value


class Data(RunSelection):
    datastore: FilePath


class Circle(Section):
    ra: Angle
    dec: Angle
    radius: Angle


class Exclusions(Section):
    """Sky excluded from the models: circles, a ``regions`` file and/or a mask FITS file
    (a gammapy WcsNDMap, True where the sky is kept)."""
    circles: list[Circle] = Field(default_factory=list)
    regions_file: Optional[FilePath] = None
    mask_file: Optional[FilePath] = None


class EnergyAxis(Section):
    min: Energy
    max: Energy
    nbin: int = Field(gt=0)
    per_decade: bool = False


class OffsetAxis(Section):
    """Offset bins from 0 to ``max``."""
    max: Angle
    nbin: int = Field(gt=0)


class Axes(Section):
    energy: EnergyAxis = EnergyAxis(min="0.1 TeV", max="100 TeV", nbin=5, per_decade=True)
    offset: OffsetAxis = OffsetAxis(max="2.5 deg", nbin=5)
    energy_computation: Optional[EnergyAxis] = None


class Model(Section):
    """``kind``: radial, 3d or fit (RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator,
    FitAcceptanceMapCreator); ``rate_per``: the creators' option (rates per livetime or
    per observation time); ``options``: any other option of that creator by name (checked
    by the creator), quantities as strings."""
    kind: Literal["radial", "3d", "fit"] = "radial"
    oversample_map: int = Field(10, gt=0)
    rate_per: Literal["livetime", "observation_time"] = "livetime"
    options: dict[str, Any] = Field(default_factory=dict)


class Zenith(Section):
    """Per-run models: from zenith bins (``binning``), interpolated between them
    (``interpolation``); the other keys are the creators' options of the same name.

    Binned and interpolated by default: a background changes with zenith angle, and one model
    stacked over a wide zenith range mispredicts each run's spectrum near its threshold (DR1
    PKS 2155-304, 21 runs at 7-50 deg: counts/predicted 1.13-1.19 in every offset ring
    stacked, 1.00-1.05 interpolated)."""
    binning: bool = True
    interpolation: bool = True
    cos_zenith_binning_method: str = "min_livetime"
    cos_zenith_binning_parameter_value: float = 3600
    initial_cos_zenith_binning: float = 0.01
    zenith_binning_run_splitting: bool = False
    azimuth_east_west_splitting: bool = False
    interpolation_zenith_type: str = "linear"


class Normalisation(Section):
    """Run-wise norm of each run's model; ``energy_range`` and ``method`` are passed to the
    creator (``runwise_normalisation_energy_range`` / ``_method``) when given."""
    runwise: bool = True
    energy_range: Optional[tuple[Energy, Energy]] = None
    method: Optional[str] = None


class Outputs(Section):
    datastore: Optional[FilePath] = None
    collection: Optional[FilePath] = None
    overwrite: bool = False


class Validation(Section):
    out_dir: Optional[FilePath] = None


class Execution(Section):
    """Where the runs are worked on (``n_jobs`` local processes, -1: one per core) and
    where their work is kept for later builds (``cache_dir``); the creators' options."""
    n_jobs: Optional[int] = None
    cache_dir: Optional[FilePath] = None


class BaccmodConfig(Section):
    """The whole config; see :data:`TEMPLATE` for every key with its meaning."""
    data: Data
    off_runs: Optional[RunSelection] = None
    exclusions: Exclusions = Field(default_factory=Exclusions)
    axes: Axes = Field(default_factory=Axes)
    model: Model = Field(default_factory=Model)
    zenith: Zenith = Field(default_factory=Zenith)
    normalisation: Normalisation = Field(default_factory=Normalisation)
    outputs: Outputs = Field(default_factory=Outputs)
    validation: Validation = Field(default_factory=Validation)
    execution: Execution = Field(default_factory=Execution)

    @model_validator(mode="after")
    def _off_runs_store(self):
        if self.off_runs is not None and self.off_runs.datastore is None:
            self.off_runs.datastore = self.data.datastore
        return self

    @classmethod
    def read(cls, path):
        """The config of a YAML file; relative paths are taken from the file's folder."""
        path = Path(path)
        if not path.is_file():
            raise BaccmodValueError(f"config file {str(path)!r} not found: write one with "
                                    "`baccmod init FILE`.")
        return cls.from_yaml(path.read_text(), base_dir=path.absolute().parent, source=path)

    @classmethod
    def from_yaml(cls, text, base_dir=None, source="config"):
        """The config of YAML text; raises a BaccmodValueError naming each bad key."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise BaccmodValueError(f"{source} is not valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise BaccmodValueError(f"{source} must be a YAML mapping of sections "
                                    f"(data, axes, model, ...), not {type(data).__name__}.")
        try:
            return cls.model_validate(data, context={"base_dir": base_dir})
        except ValidationError as error:
            raise BaccmodValueError(f"bad config {source}:\n" + _describe(error)) from None

    def to_yaml(self):
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    def missing_files(self):
        """``[(key, path)]`` of the input files and folders that do not exist."""
        inputs = [("data.datastore", self.data.datastore),
                  ("exclusions.regions_file", self.exclusions.regions_file),
                  ("exclusions.mask_file", self.exclusions.mask_file)]
        if self.off_runs is not None:
            inputs.append(("off_runs.datastore", self.off_runs.datastore))
        return [(key, path) for key, path in inputs if path is not None and not path.exists()]

    def check_files(self):
        """Raise a BaccmodValueError naming the keys whose input files are missing."""
        missing = self.missing_files()
        if missing:
            raise BaccmodValueError("missing input files: " + "; ".join(
                f"{key}: {str(path)!r} does not exist" for key, path in missing))

    def creator_options(self):
        """Keyword arguments of the creator: the model's options, zenith and normalisation
        settings (quantities read from their strings)."""
        zenith = self.zenith.model_dump(exclude={"binning", "interpolation"})
        options = {**zenith, "oversample_map": self.model.oversample_map,
                   "rate_per": self.model.rate_per, **self.execution.model_dump(),
                   **{name: quantity_or_value(value)
                      for name, value in self.model.options.items()}}
        if self.normalisation.energy_range is not None:
            options["runwise_normalisation_energy_range"] = u.Quantity(
                self.normalisation.energy_range)
        if self.normalisation.method is not None:
            options["runwise_normalisation_method"] = self.normalisation.method
        return options


def filled_template(datastore, target=None, obs_ids=None, circles=()):
    """:data:`TEMPLATE` for a data store, as ``baccmod init --data-store`` writes it.

    Parameters
    ----------
    datastore : Path
        ``data.datastore``.
    target : str, optional
        ``data.target`` (the template's example cone cut is left out).
    obs_ids : list of int, optional
        ``data.obs_ids``; without them nor ``target``, all runs of the data store.
    circles : list of (ra, dec, radius) Quantity triples
        ``exclusions.circles`` (replacing the template's example).
    """
    text = _with_value(TEMPLATE, "  datastore:", json.dumps(str(datastore)))
    text = text.replace(_TEMPLATE_CONE, "  cone: null\n")
    text = _with_value(text, "  target:", json.dumps(target) if target else "null")
    text = _with_value(text, "  obs_ids:", json.dumps(list(obs_ids)) if obs_ids else "null")
    lines = "".join(f"    - {{ra: {ra.to_value('deg'):.5f} deg, dec: {dec.to_value('deg'):.5f} "
                    f"deg, radius: {radius.to_value('deg'):g} deg}}\n"
                    for ra, dec, radius in circles)
    return text.replace(_TEMPLATE_CIRCLES, "  circles:\n" + lines if lines else
                        "  circles: []\n")


def _with_value(text, key, value):
    """``text`` with the first line starting with ``key`` given ``value`` (its comment kept)."""
    start = text.index("\n" + key) + 1
    end = text.index("\n", start)
    comment = text[start:end].partition("#")[2]
    line = f"{key} {value}"
    if comment:
        line = f"{line:<30} #{comment}"
    return text[:start] + line + text[end:]


def quantity_or_value(value):
    """A string such as "0.4 deg" as a Quantity; anything else as it is."""
    if isinstance(value, str) and QUANTITY_PATTERN.match(value):
        try:
            return u.Quantity(value)
        except (TypeError, ValueError):
            return value
    return value


def _describe(error):
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (see `baccmod init` for the keys)"
        elif item["type"] == "missing":
            message = "required key missing"
        lines.append(f"  {key}: {message.removeprefix('Value error, ')}")
    return "\n".join(lines)


TEMPLATE = """\
# baccmod config: `baccmod build THIS_FILE` builds background models, writes them and
# checks them (the report of validation.out_dir; `baccmod validate THIS_FILE` redoes it).
# Quantities are strings with units ("0.4 deg"); relative paths are relative to this file's
# folder. Unknown keys are refused.

data:                          # the runs that get a model
  datastore: hess-dl3-dr1      # folder with hdu-index.fits.gz and obs-index.fits.gz
  obs_ids: null                # list of run ids, e.g. [23523, 23526]; null: all runs ...
  cone:                        # ... pointed within radius of (ra, dec) (null: no cut)
    ra: 329.71694 deg
    dec: -30.2255 deg
    radius: 2 deg
  zenith_range: null           # e.g. ["0 deg", "50 deg"] (of the obs index ZEN_PNT)
  target: null                 # OBJECT in the obs index, e.g. "PKS 2155-304"

off_runs: null                 # runs the model is built from instead (same keys as data;
                               # datastore defaults to data's)

exclusions:                    # sky left out of the model
  circles:
    - {ra: 329.71694 deg, dec: -30.2255 deg, radius: 0.4 deg}
  regions_file: null           # a DS9/CRTF file read by `regions`
  mask_file: null              # a gammapy WcsNDMap FITS file, True where the sky is kept

axes:
  energy: {min: 0.1 TeV, max: 100 TeV, nbin: 5, per_decade: true}
  offset: {max: 2.5 deg, nbin: 5}   # bins from 0 to max
  energy_computation: null     # finer axis the counts are summed on (same keys as energy)

model:
  kind: radial                 # radial, 3d or fit
  oversample_map: 10
  rate_per: livetime           # rates per livetime, or observation_time: what gammapy
                               # multiplies the bkg by (see the README)
  options: {}                  # any creator option by name, e.g. {dynamic_energy_axis: true}

zenith:
  binning: true                # per-run models from zenith bins ...
  interpolation: true          # ... interpolated in cos(zenith) between them
  cos_zenith_binning_method: min_livetime
  cos_zenith_binning_parameter_value: 3600
  initial_cos_zenith_binning: 0.01
  zenith_binning_run_splitting: false
  azimuth_east_west_splitting: false
  interpolation_zenith_type: linear

normalisation:
  runwise: true                # scale each run's model to its counts
  energy_range: null           # e.g. ["1 TeV", "10 TeV"]
  method: null                 # scale or fit

outputs:
  datastore: background-datastore   # new DataStore with the models as bkg (null: none)
  collection: null             # zenith collection FITS file (null: none)
  overwrite: false

validation:
  out_dir: validation          # report written by `baccmod build` (and `baccmod validate`);
                               # null: none

execution:
  n_jobs: null                 # local processes working on the runs (-1: one per core)
  cache_dir: null              # keep each run's work here: later builds with other zenith,
                               # interpolation or normalisation settings read no event file
"""

_TEMPLATE_CONE = """\
  cone:                        # ... pointed within radius of (ra, dec) (null: no cut)
    ra: 329.71694 deg
    dec: -30.2255 deg
    radius: 2 deg
"""
_TEMPLATE_CIRCLES = """\
  circles:
    - {ra: 329.71694 deg, dec: -30.2255 deg, radius: 0.4 deg}
"""
