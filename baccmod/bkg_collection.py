"""BAccMod's module ``baccmod.bkg_collection``: the zenith collections (:mod:`baccmod.collection`).

``BackgroundCollection`` is an abstract base class that both collections are registered with,
so ``isinstance(model, BackgroundCollection)`` tells a collection from a single model, as in
BAccMod. Subclass baccmod's collections rather than this class.
"""
from abc import ABC

from .collection import BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth

__all__ = ["BackgroundCollection", "BackgroundCollectionZenith",
           "BackgroundCollectionZenithSplitAzimuth"]


class BackgroundCollection(ABC):
    """Any collection of background models (zenith, or zenith and azimuth side)."""


BackgroundCollection.register(BackgroundCollectionZenith)
BackgroundCollection.register(BackgroundCollectionZenithSplitAzimuth)
