"""Exceptions raised by baccmod.

Every error caused by the caller's input derives from :class:`BaccmodError` and from the
builtin exception a Python user would expect (``ValueError`` or ``TypeError``), so both
``except BaccmodError`` and ``except ValueError`` catch it.
"""


class BaccmodError(Exception):
    """Base class of all baccmod errors."""


class BaccmodValueError(BaccmodError, ValueError):
    """An argument or an input run has a value the model cannot be built from."""


class BaccmodTypeError(BaccmodError, TypeError):
    """An argument has a type baccmod does not accept."""


class NoEventsError(BaccmodValueError):
    """No run has an event inside the energy and offset range of the model."""


class MissingLocationError(BaccmodValueError):
    """The observatory location of a run could not be found."""


class BackgroundModelFormatError(BaccmodValueError):
    """A background model or collection is not usable as given: models of one collection
    differing in type, axes, unit or FoV alignment, or a zenith outside [0, 90] deg.

    ``baccmod.exception.BackgroundModelFormatException`` (BAccMod's name) is this class.
    """
