"""baccmod: fast data-driven background (acceptance) models for IACT analysis with gammapy.

The numerical core (:mod:`baccmod.core`) works on plain arrays and does not need gammapy;
the public creators are imported lazily so that ``import baccmod.core`` stays light.
"""
import logging

from .errors import (BaccmodError, BaccmodTypeError, BaccmodValueError, MissingLocationError,
                     NoEventsError)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    "BaseAcceptanceMapCreator": "baccmod.base_acceptance_map_creator",
    "RadialAcceptanceMapCreator": "baccmod.api",
    "Grid3DAcceptanceMapCreator": "baccmod.api",
    "FitAcceptanceMapCreator": "baccmod.fit_acceptance_map_creator",
    "BackgroundCollectionZenith": "baccmod.collection",
    "BackgroundCollectionZenithSplitAzimuth": "baccmod.collection",
    "simulate_runs": "baccmod.simulate",
    "write_datastore": "baccmod.datastore",
}

__all__ = ["BaccmodError", "BaccmodTypeError", "BaccmodValueError", "MissingLocationError",
           "NoEventsError", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'baccmod' has no attribute {name!r}")
