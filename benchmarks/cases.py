"""The benchmark cases: a declarative table, plain data only (no gammapy import here).

Every case uses BAccMod's own test setup (see README.md): the energy axis, offset axis,
oversampling and the 0.4 deg exclusion circle on PKS 2155-304 are common to all cases; a case
chooses the creator class, an optional computation energy axis, extra constructor options,
and the method to call with its keyword arguments. To add a case, append a ``Case`` to
``CASES``; ``worker.py`` builds it and writes whatever the call returns (one background
model, or a dict of models keyed by run, e.g. ``create_acceptance_map_per_observation``).
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
}

CREATORS = {
    "radial": "RadialAcceptanceMapCreator",
    "grid3d": "Grid3DAcceptanceMapCreator",
}


@dataclass(frozen=True)
class Case:
    """One benchmark case.

    creator: a key of ``CREATORS``. energy_computation: a key of ``ENERGY_COMPUTATION_AXES``
    or None. options: extra constructor keyword arguments (JSON values). call: the creator
    method called with the observations; call_options: its extra keyword arguments.
    """
    name: str
    creator: str
    energy_computation: str = None
    options: dict = field(default_factory=dict)
    call: str = "create_model"
    call_options: dict = field(default_factory=dict)
    description: str = ""


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

CASES_BY_NAME = {case.name: case for case in CASES}

# The cases timed on simulated runs by --scaling.
SCALING_CASES = ["radial", "grid3d"]
