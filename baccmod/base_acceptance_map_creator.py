"""BAccMod's module ``baccmod.base_acceptance_map_creator``: the creators' common base class.

``BaseAcceptanceMapCreator`` is the base class of baccmod's ``RadialAcceptanceMapCreator`` and
``Grid3DAcceptanceMapCreator`` (``isinstance`` checks written for BAccMod hold). It is not
instantiated directly; unlike BAccMod's, its constructor takes the offset axis and
``oversample_map`` (BAccMod's base takes ``max_offset`` and ``spatial_resolution``, which its
subclasses compute from those).
"""
from .api import _AcceptanceMapCreator as BaseAcceptanceMapCreator

__all__ = ["BaseAcceptanceMapCreator"]
