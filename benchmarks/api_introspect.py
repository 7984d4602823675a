"""Describe the public API of whichever ``baccmod`` this interpreter imports, as JSON.

    python api_introspect.py OUTPUT.json

Runs under our interpreter or BAccMod's venv (standard library, astropy and gammapy only).
For each of BAccMod's public modules (0.4.1 and its development head): whether it imports,
its public names, and for each class its constructor, methods, properties and class
attributes, the attributes of an instance built with default options, and the type and
unit of what a few cheap calls return. A parameter is ``[name, kind, default repr]``
(default ``null`` when there is none). Keyword arguments a class forwards with ``**kwargs``
to its base class are listed under ``forwarded``.
"""
import importlib
import inspect
import json
import sys
import warnings

MODULES = ["baccmod", "baccmod.base_acceptance_map_creator",
           "baccmod.radial_acceptance_map_creator", "baccmod.grid3d_acceptance_map_creator",
           "baccmod.fit_acceptance_map_creator", "baccmod.bkg_collection", "baccmod.exception",
           "baccmod.logging", "baccmod.toolbox", "baccmod.modeling", "baccmod.fitting",
           "baccmod.model"]
#: Names probed on the package itself (BAccMod's top-level names, eager or lazy).
TOP_LEVEL = ["BaseAcceptanceMapCreator", "RadialAcceptanceMapCreator",
             "Grid3DAcceptanceMapCreator", "FitAcceptanceMapCreator",
             "BackgroundCollectionZenith", "BackgroundCollectionZenithSplitAzimuth"]


def default_repr(value):
    """repr of a default, numpy scalars as Python numbers (so both sides print alike)."""
    if value is inspect.Parameter.empty:
        return None
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        if not hasattr(value, "unit"):
            value = value.item()
    return repr(value)


def parameters(function):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    return [[p.name, p.kind.name, default_repr(p.default)]
            for p in signature.parameters.values() if p.name != "self"]


def forwarded(cls):
    """Parameters reaching a baccmod base class's __init__ through ``**kwargs``."""
    params = parameters(cls.__init__) or []
    if not any(kind == "VAR_KEYWORD" for _, kind, _ in params):
        return []
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("baccmod") and "__init__" in vars(base):
            inherited = parameters(base.__init__) or []
            own = {name for name, _, _ in params}
            return [p for p in inherited + forwarded(base)
                    if p[0] not in own and p[1] not in ("VAR_KEYWORD", "VAR_POSITIONAL")]
    return []


def member_kind(cls, name):
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, staticmethod):
        return "staticmethod", raw.__func__
    if isinstance(raw, classmethod):
        return "classmethod", raw.__func__
    if isinstance(raw, property):
        return "property", None
    if inspect.isfunction(raw):
        return "method", raw
    return "class attribute", None


def describe_class(cls):
    members = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        kind, function = member_kind(cls, name)
        members[name] = {"kind": kind, "parameters": parameters(function) if function else None,
                         "defined_in": _owner(cls, name)}
    return {"kind": "class", "module": cls.__module__,
            "bases": [f"{b.__module__}.{b.__qualname__}" for b in cls.__mro__[1:]],
            "abstract": inspect.isabstract(cls), "parameters": parameters(cls.__init__),
            "forwarded": forwarded(cls), "members": members}


def _owner(cls, name):
    for klass in cls.__mro__:
        if name in vars(klass):
            return f"{klass.__module__}.{klass.__qualname__}"
    return None


def describe(obj):
    if inspect.isclass(obj):
        return describe_class(obj)
    if callable(obj):
        return {"kind": "function", "parameters": parameters(obj)}
    return {"kind": "constant", "value": repr(obj)}


def public_names(module):
    if module.__name__ == "baccmod":
        return [n for n in TOP_LEVEL if _has(module, n)]
    if hasattr(module, "__all__"):
        return list(module.__all__)
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_"):
            continue
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__ == module.__name__:
            names.append(name)
        elif isinstance(obj, (int, float, str)) and name.isupper():
            names.append(name)
    return names


def _has(module, name):
    try:
        getattr(module, name)
        return True
    except Exception:  # a lazy name may fail to import: then it is not there
        return False


def describe_modules():
    modules = {}
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as error:
            modules[name] = {"imports": False, "error": f"{type(error).__name__}: {error}"}
            continue
        modules[name] = {"imports": True,
                         "names": {n: describe(getattr(module, n)) if hasattr(module, n)
                                   else {"kind": "listed in __all__ but missing"}
                                   for n in public_names(module)}}
    return modules


def axes():
    import astropy.units as u
    from gammapy.maps import MapAxis
    return (MapAxis.from_energy_bounds(0.1 * u.TeV, 10 * u.TeV, 3, name="energy"),
            MapAxis.from_bounds(0 * u.deg, 2 * u.deg, 4, unit="deg", name="offset"))


def background_2d(scale):
    import numpy as np
    from gammapy.irf import Background2D
    import astropy.units as u
    return Background2D(axes=list(axes()), data=scale * np.ones((3, 4)) * u.Unit("s-1 MeV-1 sr-1"))


def instances():
    """({class name: instance built with default options}, {class name: build error})."""
    import baccmod
    makers = {}
    energy, offset = axes()
    for name in ["RadialAcceptanceMapCreator", "Grid3DAcceptanceMapCreator",
                 "FitAcceptanceMapCreator"]:
        if _has(baccmod, name):
            makers[name] = lambda cls=getattr(baccmod, name): cls(energy, offset)
    collections = importlib.import_module("baccmod.bkg_collection")
    makers["BackgroundCollectionZenith"] = lambda: collections.BackgroundCollectionZenith(
        {20.0: background_2d(1.0), 40.0: background_2d(2.0)})
    makers["BackgroundCollectionZenithSplitAzimuth"] = lambda: (
        collections.BackgroundCollectionZenithSplitAzimuth(
            makers["BackgroundCollectionZenith"](), makers["BackgroundCollectionZenith"]()))
    built, errors = {}, {}
    for name, make in makers.items():
        try:
            built[name] = make()
        except Exception as error:  # recorded: the diff shows the class could not be built
            errors[name] = f"{type(error).__name__}: {error}"
    return built, errors


def instance_attributes(built):
    return {name: sorted(k for k in vars(obj) if not k.startswith("_"))
            for name, obj in built.items()}


def returned(value):
    """Type (and unit) of a returned value."""
    if isinstance(value, tuple):
        return {"type": "tuple", "items": [returned(v) for v in value]}
    unit = getattr(value, "unit", None)
    if unit is not None:
        import astropy.units as u
        unit = u.Unit(unit).to_string()
    return {"type": type(value).__name__, "unit": unit}


def probes(built):
    """What cheap calls return (type and unit), or the error they raise."""
    import astropy.units as u
    calls = {
        "BackgroundCollectionZenith.get_zenith()": lambda c: c.get_zenith(),
        "BackgroundCollectionZenith.get_model(20 deg)": lambda c: c.get_model(20 * u.deg),
        "BackgroundCollectionZenith.get_closest_model(25 deg)":
            lambda c: c.get_closest_model(25 * u.deg),
        "BackgroundCollectionZenith.get_interpolated_model(30 deg)":
            lambda c: c.get_interpolated_model(30 * u.deg),
        "BackgroundCollectionZenith[20.0]": lambda c: c[20.0],
        "BackgroundCollectionZenithSplitAzimuth.eastwest(90 deg)": lambda c: c.eastwest(90 * u.deg),
        "BackgroundCollectionZenithSplitAzimuth.get_zenith(90 deg)":
            lambda c: c.get_zenith(90 * u.deg),
        "BackgroundCollectionZenithSplitAzimuth.get_closest_model(25 deg, 90 deg)":
            lambda c: c.get_closest_model(25 * u.deg, 90 * u.deg),
        "BackgroundCollectionZenithSplitAzimuth.get_interpolated_model(30 deg, 270 deg)":
            lambda c: c.get_interpolated_model(30 * u.deg, 270 * u.deg),
        "RadialAcceptanceMapCreator.max_offset": lambda c: c.max_offset,
        "Grid3DAcceptanceMapCreator.max_offset": lambda c: c.max_offset,
    }
    results = {}
    for label, call in calls.items():
        owner = label.split(".")[0].split("[")[0]
        if owner not in built:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results[label] = returned(call(built[owner]))
        except Exception as error:  # the diff reports the error
            results[label] = {"error": f"{type(error).__name__}: {error}"}
    return results


def main(path):
    import logging
    logging.disable(logging.WARNING)
    import baccmod
    built, build_errors = instances()
    description = {"baccmod_file": baccmod.__file__, "modules": describe_modules(),
                   "instance_attributes": instance_attributes(built),
                   "build_errors": build_errors, "returns": probes(built)}
    with open(path, "w") as out:
        json.dump(description, out, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
