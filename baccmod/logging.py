"""Logging set-up for baccmod (names and behaviour as in BAccMod).

All baccmod modules log through ``logging.getLogger(__name__)``, i.e. below the ``baccmod``
logger. ``MOREINFO`` (15) sits between DEBUG and INFO for per-run details. ``module`` names
the logger to configure, with or without the ``baccmod.`` prefix; BAccMod's module names
(``grid3d_acceptance_map_creator``, ``bkg_collection``, ...) configure the baccmod loggers
that carry the same messages.
"""
import logging

from .errors import BaccmodValueError

MOREINFO = 15
logging.addLevelName(MOREINFO, "MOREINFO")

_CREATOR_LOGGERS = ("baccmod.api", "baccmod.per_run", "baccmod.adapters", "baccmod.core")
#: BAccMod's module loggers -> the baccmod loggers carrying their messages.
_BACCMOD_MODULES = {
    "baccmod.base_acceptance_map_creator": _CREATOR_LOGGERS,
    "baccmod.radial_acceptance_map_creator": _CREATOR_LOGGERS,
    "baccmod.grid3d_acceptance_map_creator": _CREATOR_LOGGERS,
    "baccmod.bkg_collection": ("baccmod.collection",),
}


def module_loggers(module="baccmod"):
    """The loggers a ``module`` name configures (see the module documentation)."""
    name = module if "baccmod" in module else "baccmod." + module
    return [logging.getLogger(each) for each in _BACCMOD_MODULES.get(name, (name,))]


def set_log_level(level, module="baccmod"):
    """Set the level (a number or a name such as ``'INFO'``) of the ``module`` logger(s)."""
    for logger in module_loggers(module):
        logger.setLevel(level)


def setup_logging_output(output_file=None, use_terminal=True, handlers=None, module="baccmod",
                         fmode="w", term_level=logging.NOTSET,
                         log_format="%(levelname)s:%(name)s: %(message)s"):
    """Send the ``module`` logger's records to a file and/or the terminal.

    The logger's handlers are replaced (calling it again does not duplicate the output).

    Parameters
    ----------
    output_file : str or path-like, optional
        File to write the log to (opened with mode ``fmode``).
    use_terminal : bool
        Also write to standard error, at ``term_level`` and above.
    handlers : list of logging.Handler, optional
        Use these handlers (given ``log_format``) instead of a file and terminal handler.
    module : str
        Logger to configure (see the module documentation).
    fmode : str
        File mode for ``output_file`` (``'w'`` to overwrite, ``'a'`` to append).
    term_level : int or str
        Level of the terminal handler.
    log_format : str
        Format of the records.

    Returns
    -------
    loggers : list of logging.Logger
        The configured logger(s).
    """
    if handlers is not None and output_file is not None:
        raise BaccmodValueError("give handlers or output_file, not both: with handlers, "
                                "add a logging.FileHandler to them.")
    formatter = logging.Formatter(log_format)
    if handlers is None:
        handlers = []
        if output_file is not None:
            handlers.append(logging.FileHandler(output_file, mode=fmode))
        if use_terminal:
            terminal = logging.StreamHandler()
            terminal.setLevel(term_level)
            handlers.append(terminal)
    for handler in handlers:
        handler.setFormatter(formatter)
    loggers = module_loggers(module)
    for logger in loggers:
        logger.handlers = list(handlers)
    return loggers
