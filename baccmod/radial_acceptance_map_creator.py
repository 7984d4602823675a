"""BAccMod's module ``baccmod.radial_acceptance_map_creator``: see :mod:`baccmod.api`."""
from .api import RadialAcceptanceMapCreator

__all__ = ["RadialAcceptanceMapCreator"]
