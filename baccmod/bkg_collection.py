"""BAccMod's module ``baccmod.bkg_collection``: the zenith collections (:mod:`baccmod.collection`).

``BackgroundCollection`` is an abstract base class that both collections are registered with,
so ``isinstance(model, BackgroundCollection)`` tells a collection from a single model, as in
BAccMod. Subclass baccmod's collections rather than this class.
"""
from abc import ABC, abstractmethod

from .collection import BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth

__all__ = ["BackgroundCollection", "BackgroundCollectionZenith",
           "BackgroundCollectionZenithSplitAzimuth"]


class BackgroundCollection(ABC):
    """Any collection of background models (zenith, or zenith and azimuth side): the methods
    below take a zenith (and, for the azimuth-split collection, an azimuth)."""

    @abstractmethod
    def get_model(self, *args, **kwargs):
        """The model stored at the given zenith (else interpolated)."""

    @abstractmethod
    def get_closest_model(self, *args, **kwargs):
        """The stored model closest in cos(zenith)."""

    @abstractmethod
    def get_interpolated_model(self, *args, **kwargs):
        """A model interpolated in cos(zenith)."""

    @abstractmethod
    def generate_interpolation_function(self):
        """Prepare the interpolation now."""

    @abstractmethod
    def check_bkg(self):
        """Check that the models share type, axes, unit and FoV alignment."""


BackgroundCollection.register(BackgroundCollectionZenith)
BackgroundCollection.register(BackgroundCollectionZenithSplitAzimuth)
