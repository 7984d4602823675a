"""BAccMod's module ``baccmod.grid3d_acceptance_map_creator``: see :mod:`baccmod.api`."""
from .api import Grid3DAcceptanceMapCreator

__all__ = ["Grid3DAcceptanceMapCreator"]
