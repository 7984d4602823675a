"""The benchmark cases: a declarative table, plain data only (no gammapy import here).

Every case uses BAccMod's own test setup (see README.md): the energy axis, offset axis,
oversampling and the 0.4 deg exclusion circle on PKS 2155-304 are common to all cases; a case
chooses the creator class, an optional computation energy axis, extra constructor options,
and the method to call with its keyword arguments. To add a case, append a ``Case`` to
``CASES``; ``worker.py`` builds it and writes whatever the call returns (one background
model, or a dict of models keyed by run, e.g. ``create_acceptance_map_per_observation``).

Option values are JSON values; an astropy quantity is written ``quantity(1, "min")`` (a
``{"value": ..., "unit": ...}`` dict that the worker turns into a ``Quantity``).
"""
from dataclasses import dataclass, field

# PKS 2155-304 and the run selection around it.
SOURCE_RA_DEG = 329.71694
SOURCE_DEC_DEG = -30.2255
SELECTION_RADIUS_DEG = 2.0
EXCLUSION_RADIUS_DEG = 0.4
EXPECTED_PKS2155_RUNS = 21

# The common axes: (lo, hi, bins) and the oversampling of the exclusion mask.
ENERGY_TEV = (0.1, 10.0, 5)  # 5 bins per decade
OFFSET_DEG = (0.0, 2.0, 6)
OVERSAMPLE_MAP = 5

# Named computation energy axes: a list of (lo, hi, log bins) pieces, in TeV.
ENERGY_COMPUTATION_AXES = {
    "irregular": [(0.1, 1.0, 5), (1.0, 10.0, 2)],
    "dense": [(0.1, 10.0, 40)],  # 20 bins per decade, BAccMod's tests' dense axis
}


def quantity(value, unit):
    """A quantity option as plain data (the worker makes it an astropy Quantity)."""
    return {"value": value, "unit": unit}


def astropy_model(name, values=None, bounds=None, fixed=(), tied=None):
    """An astropy model option as plain data (the worker builds it): ``name`` a class of
    ``astropy.modeling.models``; ``values`` parameter values; ``bounds`` {parameter:
    [low, high]} (None for an open end); ``fixed`` parameter names; ``tied`` {parameter:
    other}: the parameter follows the other's value."""
    return {"astropy_model": name, "values": values or {}, "bounds": bounds or {},
            "fixed": list(fixed), "tied": tied or {}}


CREATORS = {
    "radial": "RadialAcceptanceMapCreator",
    "grid3d": "Grid3DAcceptanceMapCreator",
    "fit": "FitAcceptanceMapCreator",
}


@dataclass(frozen=True)
class Case:
    """One benchmark case.

    creator: a key of ``CREATORS``. energy_computation: a key of ``ENERGY_COMPUTATION_AXES``
    or None. options: extra constructor keyword arguments (JSON values; ``oversample_map``
    here replaces ``OVERSAMPLE_MAP``). call: the creator method called with the observations;
    call_options: its extra keyword arguments. repeat: time the call a second time.
    exclusion: exclude the circle around PKS 2155-304. in_baccmod: BAccMod 0.4.1 has what
    the case calls (False: the case runs on ours only, even with ``--baccmod``).
    """
    name: str
    creator: str
    energy_computation: str = None
    options: dict = field(default_factory=dict)
    call: str = "create_model"
    call_options: dict = field(default_factory=dict)
    description: str = ""
    repeat: bool = True
    exclusion: bool = True
    in_baccmod: bool = True


# ``create_model`` is the creation call both packages have: BAccMod 0.4.1 has no
# ``create_acceptance_map`` (ours has both names for the same call).
CASES = [
    Case("radial", "radial", description="Background2D, one model for all runs"),
    Case("grid3d", "grid3d", description="Background3D, one model for all runs"),
    Case("radial_irregular", "radial", energy_computation="irregular",
         description="Background2D computed on 5+2 log energy bins, interpolated"),
    Case("grid3d_irregular", "grid3d", energy_computation="irregular",
         description="Background3D computed on 5+2 log energy bins, interpolated"),
]

# Per-run models (issue 3): ``create_acceptance_map_per_observation(observations, ...)``, one
# model per run. BAccMod 0.4.1 and ours take the same constructor names (ours also takes the
# aliases ``interpolation_type`` and ``activate_interpolation_cleaning``, BAccMod does not),
# so every option below goes to both sides unchanged.
PER_RUN = "create_acceptance_map_per_observation"
ZENITH_BINNING = {"cos_zenith_binning_method": "min_livetime",  # bins of >= 3600 s livetime
                  "cos_zenith_binning_parameter_value": 3600,
                  "initial_cos_zenith_binning": 0.01}
MINI_IRF = {**ZENITH_BINNING, "use_mini_irf_computation": True,
            "mini_irf_time_resolution": quantity(1, "min"),
            "zenith_binning_run_splitting": True}
BINNED = {"zenith_binning": True, "runwise_normalisation": False}
INTERPOLATED = {"zenith_binning": True, "zenith_interpolation": True,
                "runwise_normalisation": False}

CASES += [
    Case("radial_zenith_binned", "radial", options=ZENITH_BINNING, call=PER_RUN,
         call_options=BINNED, description="per run: the closest cos-zenith bin's model"),
    Case("radial_zenith_interpolated_linear", "radial",
         options={**ZENITH_BINNING, "interpolation_zenith_type": "linear"}, call=PER_RUN,
         call_options=INTERPOLATED, description="per run: linear interpolation in cos zenith"),
    Case("radial_zenith_interpolated_log", "radial",
         options={**ZENITH_BINNING, "interpolation_zenith_type": "log"}, call=PER_RUN,
         call_options=INTERPOLATED, description="per run: log interpolation in cos zenith"),
    Case("radial_zenith_interpolated_log_cleaning", "radial",
         options={**ZENITH_BINNING, "interpolation_zenith_type": "log",
                  "activate_interpolation_zenith_cleaning": True},
         call=PER_RUN, call_options=INTERPOLATED,
         description="per run: log interpolation in cos zenith, then cleaning"),
    Case("radial_mini_irf_splitting", "radial", options=MINI_IRF, call=PER_RUN,
         call_options=INTERPOLATED,
         description="per run: runs split at zenith bin edges; 1 min mini-IRFs, interpolated"),
    Case("radial_mini_irf_splitting_irregular", "radial", energy_computation="irregular",
         options=MINI_IRF, call=PER_RUN, call_options=INTERPOLATED,
         description="as radial_mini_irf_splitting, on the irregular computation axis"),
    Case("radial_runwise_norm", "radial", call=PER_RUN,
         call_options={"zenith_binning": False, "runwise_normalisation": True},
         description="per run: the stacked model, normalised run by run"),
    Case("grid3d_zenith_interpolated_norm", "grid3d", options=ZENITH_BINNING, call=PER_RUN,
         call_options={**INTERPOLATED, "runwise_normalisation": True},
         description="per run: interpolated in cos zenith, normalised run by run"),
]

# Issue 8: the dynamic energy axis and fitted 3D models, with the options of BAccMod's own
# tests. FitAcceptanceMapCreator (BAccMod's development head) is not in BAccMod 0.4.1.
DYNAMIC = {"dynamic_energy_axis": True}
SPATIAL_GAUSSIAN = astropy_model(
    "Gaussian2D", values={"x_mean": 0, "y_mean": 0, "x_stddev": 1, "y_stddev": 1, "theta": 0},
    bounds={"amplitude": [0.5, None], "x_mean": [-1, 1], "y_mean": [-1, 1],
            "x_stddev": [0.01, 5], "y_stddev": [0.01, 5]},
    fixed=["theta"], tied={"y_stddev": "x_stddev"})
CASES += [
    Case("radial_dynamic", "radial", energy_computation="dense",
         options={**DYNAMIC, "dynamic_energy_axis_target_statistics": 500},
         description="Background2D on a dynamic axis merged from 20 bins per decade"),
    Case("grid3d_dynamic", "grid3d", energy_computation="dense",
         options={**DYNAMIC, "dynamic_energy_axis_target_statistics": 100},
         description="Background3D on a dynamic axis merged from 20 bins per decade"),
    Case("grid3d_fit_gaussian2d", "grid3d", options={"method": "fit", "fit_fnc": "gaussian2d"},
         description="Background3D fitted per energy bin with BAccMod 0.4.1's gaussian2d"),
    Case("grid3d_fit_bilinear_gaussian2d", "grid3d",
         options={"method": "fit", "fit_fnc": "bilinear_gaussian2d"},
         description="Background3D fitted per energy bin with bilinear_gaussian2d"),
    Case("grid3d_dynamic_fit_gaussian2d", "grid3d", energy_computation="dense",
         options={**DYNAMIC, "dynamic_energy_axis_target_statistics": 100, "method": "fit",
                  "fit_fnc": "gaussian2d"},
         description="gaussian2d fitted per bin of the dynamic axis"),
    Case("fit_spatial_gaussian2d", "fit",
         options={"model_to_fit": SPATIAL_GAUSSIAN,
                  "list_name_normalisation_parameter": ["amplitude"]},
         in_baccmod=False, description="FitAcceptanceMapCreator: a bounded astropy "
                                       "Gaussian2D fitted per energy bin (ours only)"),
    Case("fit_spatial_gaussian2d_dynamic", "fit", energy_computation="dense",
         options={**DYNAMIC, "dynamic_energy_axis_target_statistics": 100},
         in_baccmod=False, description="FitAcceptanceMapCreator with its default model on "
                                       "the dynamic axis (ours only)"),
]

# Convergence in oversample_map (convergence.py, not part of run.py's cases): the stacked
# models at each oversampling, timed once; "radial_noexclusion" without the exclusion.
CONVERGENCE_OVERSAMPLING = (5, 10, 20, 50)
CONVERGENCE_KINDS = {"radial": ("radial", True), "radial_noexclusion": ("radial", False),
                     "grid3d": ("grid3d", True)}
CONVERGENCE_CASES = [
    Case(f"{kind}_oversample{n}", creator, options={"oversample_map": n}, repeat=False,
         exclusion=exclusion, description=f"{CREATORS[creator]} at oversample_map={n}"
                                          + ("" if exclusion else ", no exclusion"))
    for kind, (creator, exclusion) in CONVERGENCE_KINDS.items()
    for n in CONVERGENCE_OVERSAMPLING]

# The first call in a fresh process (scale.py, not part of run.py's cases): the grid3d case
# called once, so that the process time is imports, reading, one call and writing.
FIRST_CALL_CASE = Case("grid3d_first_call", "grid3d", repeat=False,
                       description="Background3D, one model for all runs, one call")

CASES_BY_NAME = {case.name: case for case in CASES + CONVERGENCE_CASES + [FIRST_CALL_CASE]}

# The cases timed on simulated runs by --scaling.
SCALING_CASES = ["radial", "grid3d"]
