"""BAccMod's module ``baccmod.exception``: its exception under its name.

``BackgroundModelFormatException`` is :class:`baccmod.errors.BackgroundModelFormatError`, a
:class:`~baccmod.errors.BaccmodValueError` (so also a ``ValueError``), raised where a
background model or collection is inconsistent or a zenith lies outside [0, 90] deg.
"""
from .errors import BackgroundModelFormatError as BackgroundModelFormatException

__all__ = ["BackgroundModelFormatException"]
