"""BAccMod's public API (0.4.1 and its development head) and where baccmod stands on each name.

Plain data, read by ``test_api_table.py`` (checked against baccmod, never against BAccMod)
and by ``benchmarks/api_diff.py`` (which classifies the differences it finds with it).

A row's ``name`` is BAccMod's: ``module``, ``module.name``, ``module.Class.member``; members
of a base class (``BaseAcceptanceMapCreator``, ``BackgroundCollection``) stand for all its
subclasses. ``status``:

- ``same``: provided with the same meaning (``parameters``: BAccMod's, checked in ours);
- ``differs``: provided; ``note`` says what differs (baccmod more exact, or a convention);
- ``issue 8``: the fitting and dynamic-energy-axis features, expected missing until issue 8
  (options are accepted at their default only; other values raise ``NotImplementedError``);
- ``omitted``: not provided, ``note`` says why.
"""
from collections import namedtuple

import astropy.units as u

SAME, DIFFERS, ISSUE_8, OMITTED = "same", "differs", "issue 8", "omitted"
REQUIRED = "<required>"

Row = namedtuple("Row", "name kind status note parameters", defaults=("", None))
#: A parameter: name, default (REQUIRED if none), and whether callers may pass it by position.
Param = namedtuple("Param", "name default positional", defaults=(REQUIRED, True))

BASE = "baccmod.base_acceptance_map_creator.BaseAcceptanceMapCreator"
RADIAL = "baccmod.radial_acceptance_map_creator.RadialAcceptanceMapCreator"
GRID3D = "baccmod.grid3d_acceptance_map_creator.Grid3DAcceptanceMapCreator"
COLLECTION = "baccmod.bkg_collection.BackgroundCollection"
ZENITH = "baccmod.bkg_collection.BackgroundCollectionZenith"
SPLIT = "baccmod.bkg_collection.BackgroundCollectionZenithSplitAzimuth"
TOOLBOX = "baccmod.toolbox"


def keyword(name, default):
    return Param(name, default, positional=False)


CREATOR_PARAMETERS = (
    Param("energy_axis"), Param("offset_axis"), Param("oversample_map", 10),
    Param("energy_axis_computation", None), Param("exclude_regions", None),
    keyword("cos_zenith_binning_method", "min_livetime"),
    keyword("cos_zenith_binning_parameter_value", 3600),
    keyword("initial_cos_zenith_binning", 0.01),
    keyword("max_angular_separation_wobble", 0.4 * u.deg),
    keyword("zenith_binning_run_splitting", False),
    keyword("max_fraction_pixel_rotation_fov", 0.5),
    keyword("time_resolution", 0.1 * u.s),
    keyword("use_mini_irf_computation", False),
    keyword("mini_irf_time_resolution", 1.0 * u.min),
    keyword("azimuth_east_west_splitting", False),
    keyword("interpolation_zenith_type", "linear"),
    keyword("activate_interpolation_zenith_cleaning", False),
    keyword("interpolation_cleaning_energy_relative_threshold", 1e-4),
    keyword("interpolation_cleaning_spatial_relative_threshold", 1e-2),
)
COLLECTION_SETTINGS = (
    keyword("interpolation_type", "linear"),
    keyword("threshold_value_log_interpolation", 2.2250738585072014e-308),
    keyword("activate_interpolation_cleaning", False),
    keyword("interpolation_cleaning_energy_relative_threshold", 1e-4),
    keyword("interpolation_cleaning_spatial_relative_threshold", 1e-2),
)
FIT_METHOD_PARAMETERS = (keyword("method", "stack"), keyword("fit_fnc", "gaussian2d"),
                         keyword("fit_seeds", None), keyword("fit_bounds", None))


class SameModel:
    """An astropy model default, equal to a model of the same type and parameter values
    (astropy models compare by identity)."""

    def __init__(self, model):
        self.model = model

    def __eq__(self, other):
        return type(other) is type(self.model) \
            and list(other.parameters) == list(self.model.parameters)


def _gaussian2d():
    from astropy.modeling.models import Gaussian2D
    return Gaussian2D()


FIT_CREATOR_PARAMETERS = (
    Param("energy_axis"), Param("offset_axis"), Param("model_to_fit", SameModel(_gaussian2d())),
    Param("list_name_normalisation_parameter", ["amplitude"]), Param("maxiter", 1000))
PER_OBSERVATION_PARAMETERS = (
    Param("observations"), Param("zenith_binning", False), Param("zenith_interpolation", False),
    Param("runwise_normalisation", True), Param("off_observations", None),
    Param("base_model", None))

#: Options of issue 8 with a value other than their default (all accepted now).
DYNAMIC_OPTIONS = {
    "dynamic_energy_axis": True, "dynamic_energy_axis_target_statistics": 100,
    "dynamic_energy_axis_maximum_wideness_bin": 0.3,
    "dynamic_energy_axis_merge_zeros_low_energy": True,
    "dynamic_energy_axis_merge_zeros_high_energy": True,
}
ISSUE_8_OPTIONS = {
    "method": "fit", "fit_fnc": "bilinear_gaussian2d", "fit_seeds": {}, "fit_bounds": {},
}
_RATE_MODEL = (
    "the model's value is the rate (s-1 MeV-1 sr-1) at the bin centre (BAccMod: counts per "
    "unit of dE dOmega over the total livetime, in the energy axis' unit), so bounds of a "
    "normalisation parameter are on that scale (a count-scaled seed outside them raises); "
    "unknown normalisation names and models without 1-3 inputs raise in the constructor "
    "(BAccMod: a warning / RuntimeError in create_model); the per-bin error comes from the "
    "fit's covariance (rate_error); migrad then hesse (BAccMod: simplex then migrad)")
_PSI = "psi is not bounded by default (0.4.1: (0, 2 pi), with the seed on the edge)"
_NO_SKY_MAP = ("state of BAccMod's oversampled sky map; baccmod has no map: it bins exact "
               "event coordinates and integrates exclusions on oversample_map sub-bins per bin")
MODEL = "baccmod.model"
_SPECTRAL = (Param("amplitude", 1.0), Param("index", 2.0), Param("eref", 1.0), Param("b", 2),
             Param("ecl", 0.1), Param("ech", 100.0))
_GAUSSIAN = (Param("x_mean", 0.0), Param("y_mean", 0.0), Param("x_stddev", 1.0),
             Param("y_stddev", 1.0), Param("theta", 0.0))
_GRADIENTS = (Param("x_gradient", 0), Param("y_gradient", 0))
_READY_MODEL = ("BAccMod's parameters, order and defaults; by default the reference energy "
                "(eref, x_0: degenerate with amplitude) is fixed and widths and cut-offs are "
                "bounded positive (BAccMod: all free, unbounded); analytic derivatives; extra "
                "constructor arguments set parameter values and options")
_ALWAYS_CONSISTENT = ("always True: a model differing from the others is refused when added "
                      "(BackgroundModelFormatException)")

MODULES = [
    *[Row(f"baccmod.{name}", "module", SAME) for name in (
        "base_acceptance_map_creator", "radial_acceptance_map_creator",
        "grid3d_acceptance_map_creator", "bkg_collection", "exception", "logging", "toolbox")],
    Row("baccmod.modeling", "module", DIFFERS,
        f"0.4.1's 2D functions of method='fit': {_PSI}; log_factorial and log_poisson refuse "
        "counts that are not whole / expectations <= 0 where counts were seen"),
    Row("baccmod.fit_acceptance_map_creator", "module", SAME),
    Row("baccmod.fitting", "module", DIFFERS,
        "poisson_fitter: migrad then hesse (BAccMod: simplex then migrad); log_poisson "
        "refuses expectations <= 0 where counts were seen (BAccMod: replaced by the "
        "smallest float, with a warning); also the fits of the creators"),
    Row("baccmod.model", "module", SAME, "astropy models of the fitted models"),
]

NAMES = [
    *[Row(f"baccmod.{name}", "class", SAME) for name in (
        "BaseAcceptanceMapCreator", "RadialAcceptanceMapCreator", "Grid3DAcceptanceMapCreator",
        "BackgroundCollectionZenith", "BackgroundCollectionZenithSplitAzimuth")],
    Row("baccmod.FitAcceptanceMapCreator", "class", DIFFERS, _RATE_MODEL,
        parameters=FIT_CREATOR_PARAMETERS),
    Row(BASE, "class", DIFFERS,
        "abstract base of the creators (isinstance holds); its constructor takes the "
        "creators' arguments, not BAccMod's max_offset and spatial_resolution"),
    Row(RADIAL, "class", SAME, parameters=CREATOR_PARAMETERS),
    Row(GRID3D, "class", SAME, parameters=CREATOR_PARAMETERS + FIT_METHOD_PARAMETERS),
    Row(COLLECTION, "class", DIFFERS,
        "abstract class both collections are registered with (isinstance holds); it has no "
        "constructor arguments or methods of its own"),
    Row(ZENITH, "class", SAME, parameters=(Param("bkg_dict", None),) + COLLECTION_SETTINGS),
    Row(SPLIT, "class", DIFFERS,
        "interpolation settings are keyword arguments (**settings) for the collections made "
        "here from single models or empty sides; a given collection keeps its own, which must "
        "not differ from them (BAccMod cleaned with the split's settings)",
        parameters=(Param("bkg_east"), Param("bkg_west"))),
    Row("baccmod.exception.BackgroundModelFormatException", "class", DIFFERS,
        "also a BaccmodValueError (ValueError); a single model given as base_model with "
        "zenith_interpolation is used at all zeniths instead of being refused"),
    Row("baccmod.logging.MOREINFO", "constant", SAME),
    Row("baccmod.logging.set_log_level", "function", DIFFERS,
        "BAccMod's module names map to the baccmod loggers carrying their messages",
        parameters=(Param("level"), Param("module", "baccmod"))),
    Row("baccmod.logging.setup_logging_output", "function", DIFFERS,
        "returns the configured loggers (BAccMod: None); refuses handlers with output_file "
        "(BAccMod ignored output_file)",
        parameters=(Param("output_file", None), Param("use_terminal", True),
                    Param("handlers", None), Param("module", "baccmod"), Param("fmode", "w"),
                    Param("term_level", 0),
                    Param("log_format", "%(levelname)s:%(name)s: %(message)s"))),
    Row("baccmod.grid3d_acceptance_map_creator.MOREINFO", "constant", OMITTED,
        "incidental import in BAccMod 0.4.1: use baccmod.logging.MOREINFO"),
    Row("baccmod.base_acceptance_map_creator.MOREINFO", "constant", OMITTED,
        "incidental import in BAccMod's head: use baccmod.logging.MOREINFO"),
    Row(f"{TOOLBOX}.compute_rotation_speed_fov", "function", SAME,
        parameters=(Param("time_evaluation"), Param("pointing_sky"),
                    Param("observatory_earth_location"))),
    Row(f"{TOOLBOX}.get_unique_wobble_pointings", "function", DIFFERS,
        "a run joins the first wobble whose mean direction is within the separation "
        "(baccmod's zenith-binning rule); borderline runs may group differently",
        parameters=(Param("observations"), Param("max_angular_separation_wobble", 0.4 * u.deg))),
    Row(f"{TOOLBOX}.get_time_mini_irf", "function", DIFFERS,
        "pieces span the GTIs (first start to last stop) and weigh their good time, as "
        "baccmod's per-run models do (BAccMod: tstart-tstop, equal durations)",
        parameters=(Param("observation"), Param("mini_irf_time_resolution"))),
    Row(f"{TOOLBOX}.generate_irf_from_mini_irf", "function", SAME,
        parameters=(Param("data_cube"), Param("observation_time"))),
    Row(f"{TOOLBOX}.compute_neighbour_condition_validation", "function", DIFFERS,
        "the ratio bounds are inclusive (BAccMod: exclusive)",
        parameters=(Param("a"), Param("axis"), Param("relative_threshold"))),
    Row(f"{MODEL}.CustomModels", "class", DIFFERS,
        "also takes parameter values (positional or keyword) and astropy's model options after "
        "fnc; the model is an instance of a subclass made for the function (isinstance holds)",
        parameters=(Param("fnc"),)),
    Row(f"{MODEL}.powerlaw_inv_super_exp_cutoff_exp_cutoff", "function", SAME,
        parameters=(Param("e"),) + _SPECTRAL),
    Row(f"{MODEL}.bilinear_gradient", "function", SAME,
        parameters=(Param("x"), Param("y")) + _GRADIENTS),
    Row(f"{MODEL}.gaussian2d_bilinear_gradient", "function", SAME,
        parameters=(Param("x"), Param("y"), Param("amplitude", 1.0)) + _GAUSSIAN + _GRADIENTS),
    Row(f"{MODEL}.powerlawenergy_gaussian2dspatial", "function", SAME,
        parameters=(Param("e"), Param("x"), Param("y"), Param("amplitude", 1.0),
                    Param("x_0", 1), Param("alpha", 2.0)) + _GAUSSIAN),
    Row(f"{MODEL}.plcutoffsenergy_gaussgradspatial", "function", SAME,
        parameters=(Param("e"), Param("x"), Param("y")) + _SPECTRAL + _GAUSSIAN + _GRADIENTS),
    *[Row(f"{MODEL}.{name}", "class", DIFFERS, _READY_MODEL) for name in (
        "PowerLaw2CutOffsEnergy", "Gaussian2DLinearGradientsSpatial",
        "PowerLawEnergyxGaussian2DSpatial", "PLCutOffsEnergyxGaussGradSpatial")],
    Row(f"{MODEL}.PowerLawCutOffsEnergy", "class", DIFFERS,
        "BAccMod's __all__ lists this name but its module defines only PowerLaw2CutOffsEnergy; "
        "here both name that class"),
]

OPTIONS = [Row(f"{GRID3D}({name})", "option", SAME) for name in ("method", "fit_seeds")] + [
    Row(f"{GRID3D}(fit_fnc)", "option", DIFFERS,
        f"{_PSI}; x is fov_lon and y fov_lat"),
    Row(f"{GRID3D}(fit_bounds)", "option", DIFFERS, _PSI)] + [
    Row(f"{BASE}({name})", "option", SAME) for name in DYNAMIC_OPTIONS] + [
    Row(f"{BASE}(max_offset)", "option", OMITTED,
        "argument of BAccMod's base class, computed by its creators from offset_axis"),
    Row(f"{BASE}(spatial_resolution)", "option", OMITTED,
        "argument of BAccMod's base class, computed by its creators from oversample_map"),
    Row(f"{COLLECTION}(bkg)", "option", OMITTED,
        "argument of BAccMod's base class, filled from bkg_dict / bkg_east, bkg_west"),
]

MEMBERS = [
    Row(f"{BASE}.create_model", "method", SAME, parameters=(Param("observations"),)),
    Row(f"{BASE}.create_acceptance_model", "method", SAME,
        parameters=(Param("off_observations"), Param("zenith_binning", False))),
    Row(f"{BASE}.create_acceptance_map_per_observation", "method", SAME,
        parameters=PER_OBSERVATION_PARAMETERS),
    Row(f"{GRID3D}.fit_background", "method", OMITTED,
        "0.4.1's step of create_model fitting one energy bin of its sky maps (gone in "
        "BAccMod's head): method='fit' or FitAcceptanceMapCreator fit whole cubes"),
    Row(f"{BASE}.erfa_astrom_interpolation_interval", "attribute", OMITTED,
        "baccmod computes the astrometry once per run and turns the Earth per event; there "
        "is no ERFA interpolation interval"),
    *[Row(f"{BASE}.{name}", "attribute", SAME) for name in (
        "energy_axis", "energy_axis_computation", "offset_axis", "oversample_map",
        "exclude_regions", "max_offset", "azimuth_east_west_splitting",
        "cos_zenith_binning_method", "cos_zenith_binning_parameter_value",
        "initial_cos_zenith_binning", "max_angular_separation_wobble",
        "zenith_binning_run_splitting", "use_mini_irf_computation", "mini_irf_time_resolution",
        "interpolation_type", "activate_interpolation_cleaning",
        "interpolation_cleaning_energy_relative_threshold",
        "interpolation_cleaning_spatial_relative_threshold",
        "threshold_value_log_interpolation", "max_cleaning_iteration")],
    Row(f"{BASE}.max_fraction_pixel_rotation_fov", "attribute", DIFFERS,
        "largest turn of the field between time nodes, as a fraction of a sub-bin at the "
        "corner of the grid (BAccMod: of a map pixel)"),
    Row(f"{BASE}.time_resolution", "attribute", DIFFERS,
        "shortest time node of the exclusion integration (BAccMod: step of its rotation and "
        "zenith-crossing searches)"),
    *[Row(f"{BASE}.{name}", "attribute", OMITTED, _NO_SKY_MAP)
      for name in ("center_map", "n_bins_map", "spatial_bin_size")],
    Row(f"{GRID3D}.map_bins", "attribute", OMITTED,
        "BAccMod's histogram edges rounded to 1e-3 deg; baccmod bins on the exact edges"),
    *[Row(f"{BASE}.{name}", "attribute", SAME) for name in DYNAMIC_OPTIONS],
    *[Row(f"{GRID3D}.{name}", "attribute", SAME)
      for name in ("method", "fit_fnc", "fit_seeds", "fit_bounds")],
    Row(f"{GRID3D}.sq_rel_residuals", "attribute", DIFFERS,
        "always filled, over the bins with exposure, no entry for a piece without counts "
        "(BAccMod: at log level INFO or lower, NaN for such a piece); of the last model only"),

    Row(f"{COLLECTION}.get_interpolated_model", "method", SAME),
    Row(f"{COLLECTION}.generate_interpolation_function", "method", SAME),
    Row(f"{COLLECTION}.check_bkg", "method", DIFFERS,
        "takes no arguments (BAccMod: error_message, extra_context, used internally)"),
    *[Row(f"{COLLECTION}.{name}", "attribute", SAME) for name in (
        "interpolation_type", "threshold_value_log_interpolation",
        "activate_interpolation_cleaning", "interpolation_cleaning_energy_relative_threshold",
        "interpolation_cleaning_spatial_relative_threshold", "max_cleaning_iteration",
        "type_model", "axes_model", "unit_model", "shape_model", "fov_alignment")],
    Row(f"{COLLECTION}.bkg", "attribute", DIFFERS,
        "a new dict (zenith collection) or {'east', 'west'} dict: changing it does not change "
        "the collection"),
    Row(f"{COLLECTION}.consistent_bkg", "attribute", DIFFERS, _ALWAYS_CONSISTENT),
    Row(f"{COLLECTION}.interpolation_function_exist", "attribute", OMITTED,
        "BAccMod's cache flag; baccmod prepares the interpolation on first use "
        "(generate_interpolation_function does it at once)"),
    Row(f"{ZENITH}.get_zenith", "method", SAME),
    Row(f"{ZENITH}.get_model", "method", DIFFERS,
        "a zenith without a stored model gives the interpolated model (BAccMod: KeyError)",
        parameters=(Param("zenith"),)),
    Row(f"{ZENITH}.get_closest_model", "method", DIFFERS,
        "the zenith may be a Quantity or a number in deg (BAccMod: a Quantity; a number was "
        "read as radians)", parameters=(Param("zenith"),)),
    Row(f"{ZENITH}.interpolation_function", "attribute", OMITTED,
        "BAccMod's interpolation closure: use get_interpolated_model"),
    Row(f"{SPLIT}.eastwest", "staticmethod", DIFFERS,
        "azimuth exactly 180 deg (mod 360) is west (BAccMod: east)",
        parameters=(Param("azimuth"),)),
    Row(f"{SPLIT}.get_zenith", "method", SAME, parameters=(Param("azimuth", None),)),
    Row(f"{SPLIT}.get_model", "method", DIFFERS,
        "as BackgroundCollectionZenith.get_model", parameters=(Param("zenith"), Param("azimuth"))),
    Row(f"{SPLIT}.get_closest_model", "method", SAME,
        parameters=(Param("zenith"), Param("azimuth"))),
    Row(f"{SPLIT}.interpolation_functions", "method", OMITTED,
        "BAccMod's interpolation closures: use get_interpolated_model"),
]

ROWS = MODULES + NAMES + OPTIONS + MEMBERS

#: Subclasses a base class's member rows are checked on.
SUBCLASSES = {BASE: [RADIAL, GRID3D], COLLECTION: [ZENITH, SPLIT]}
