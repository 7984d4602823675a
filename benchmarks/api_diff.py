"""Diff BAccMod's public API (0.4.1, and its development head) against baccmod's.

    python benchmarks/api_diff.py [--baccmod-venv DIR] [--head-source PATH] [--output DIR]

``api_introspect.py`` describes the API of whichever ``baccmod`` an interpreter imports: ours
(this interpreter, the repository on PYTHONPATH), BAccMod 0.4.1 (its venv, created as for
``run.py --baccmod``) and, with ``--head-source`` (a BAccMod checkout, or a bare git
directory whose HEAD is exported), BAccMod's development head run in the same venv. Every
name, parameter, default, attribute and probed return type of BAccMod that baccmod lacks or
has differently is listed, with its status in the API table (``tests/api_table.py``):
``issue 8`` (expected missing), ``omitted`` or ``differs`` (documented, with the reason), or
UNEXPECTED. Names only baccmod has are listed apart. Exit status 1 when something is
UNEXPECTED.
"""
import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import environment

INTROSPECT = environment.BENCHMARKS / "api_introspect.py"
TABLE = environment.REPO / "tests" / "api_table.py"
UNEXPECTED = "UNEXPECTED"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baccmod-venv", default=str(environment.DEFAULT_VENV),
                        help="venv for BAccMod 0.4.1 (default: %(default)s)")
    parser.add_argument("--head-source", default=None,
                        help="BAccMod's development head: a checkout holding baccmod/, or a "
                             "bare git directory (its HEAD is exported)")
    parser.add_argument("--output", default=str(environment.BENCHMARKS / "results"),
                        help="folder for api_diff.md and the JSON descriptions "
                             "(default: %(default)s)")
    return parser.parse_args(argv)


def load_table():
    spec = importlib.util.spec_from_file_location("api_table", TABLE)
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    return table


def introspect(side, path, pythonpath=None):
    """The API description of ``side``'s baccmod (``pythonpath`` first on its path)."""
    env = dict(side.env)
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run([side.python, str(INTROSPECT), str(path)], env=env,
                          cwd=environment.BENCHMARKS, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"introspection with {side.python} failed:\n{done.stderr}")
    return json.loads(Path(path).read_text())


def head_checkout(source, folder):
    """A folder holding BAccMod head's ``baccmod/`` package."""
    source = Path(source)
    if (source / "baccmod" / "__init__.py").exists():
        return source
    archive = subprocess.run(["git", "--git-dir", str(source), "archive", "HEAD", "baccmod"],
                             capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return Path(folder)


# --- differences -------------------------------------------------------------------------------

def parameter_differences(key, theirs, ours, keyword_only=()):
    """(key, text) for each of BAccMod's parameters that ours lacks or has differently."""
    ours = {p[0]: (i, p) for i, p in enumerate(_named(ours))}
    for index, (name, kind, default) in enumerate(_named(theirs)):
        where = f"{key}({name})"
        if name not in ours:
            yield where, "missing parameter"
            continue
        our_index, (_, our_kind, our_default) = ours[name]
        if default is not None and our_default != default:
            yield where, f"default {our_default} (BAccMod {default})"
        if kind == "POSITIONAL_OR_KEYWORD" and name not in keyword_only and (
                our_index != index or our_kind != kind):
            yield where, f"position {our_index} (BAccMod {index})"


def _named(parameters):
    return [p for p in parameters or [] if p[1] not in ("VAR_POSITIONAL", "VAR_KEYWORD")]


def class_differences(key, theirs, ours, their_attributes, our_attributes):
    forwarded = [p[0] for p in theirs["forwarded"]]
    yield from parameter_differences(key, _named(theirs["parameters"]) + theirs["forwarded"],
                                     _named(ours["parameters"]) + ours["forwarded"], forwarded)
    our_members = {**ours["members"], **{a: {"kind": "attribute"} for a in our_attributes}}
    for name, member in theirs["members"].items():
        if not (member["defined_in"] or "").startswith("baccmod"):
            continue
        where = f"{member['defined_in']}.{name}"
        if name not in our_members:
            yield where, "missing"
        elif _is_routine(member) != _is_routine(our_members[name]):
            yield where, f"is a {our_members[name]['kind']} (BAccMod: {member['kind']})"
        elif member["parameters"] is not None:
            yield from parameter_differences(where, member["parameters"],
                                             our_members[name].get("parameters"))
    for name in their_attributes:
        if name not in our_members and name not in theirs["members"]:
            yield f"{key}.{name}", "missing attribute"


def _is_routine(member):
    return member["kind"] in ("method", "staticmethod", "classmethod")


def differences(theirs, ours):
    """(key, text) for everything of BAccMod's API that baccmod lacks or has differently."""
    our_classes = {name: desc for module in ours["modules"].values()
                   for name, desc in module.get("names", {}).items() if desc["kind"] == "class"}
    seen = set()
    for module, description in theirs["modules"].items():
        if not description["imports"]:
            continue
        if not ours["modules"][module]["imports"]:
            yield module, "module missing"
            continue
        our_names = ours["modules"][module]["names"]
        for name, desc in description["names"].items():
            where = f"{module}.{name}"
            if name not in our_names:
                yield where, "missing"
            elif desc["kind"] != our_names[name]["kind"]:
                yield where, f"is a {our_names[name]['kind']} (BAccMod: {desc['kind']})"
            elif desc["kind"] == "function":
                yield from parameter_differences(where, desc["parameters"],
                                                 our_names[name]["parameters"])
            elif desc["kind"] == "class" and name not in seen and name in our_classes:
                seen.add(name)
                yield from class_differences(
                    f"{desc['module']}.{name}", desc, our_classes[name],
                    theirs["instance_attributes"].get(name, []),
                    ours["instance_attributes"].get(name, []))
    yield from return_differences(theirs["returns"], ours["returns"])


def return_differences(theirs, ours):
    import astropy.units as u
    for label, returned in theirs.items():
        mine = ours.get(label, {"error": "not probed"})
        if "error" in returned:
            continue
        if "error" in mine:
            yield label, f"raises {mine['error']}"
        elif mine["type"] != returned["type"] or (
                (mine["unit"] is None) != (returned["unit"] is None)) or (
                mine["unit"] is not None and u.Unit(mine["unit"]) != u.Unit(returned["unit"])):
            yield label, f"returns {mine['type']} [{mine['unit']}] (BAccMod {returned['type']} " \
                         f"[{returned['unit']}])"


def only_ours(theirs, ours):
    """Public names of baccmod's alias modules that BAccMod does not have."""
    for module, description in ours["modules"].items():
        their_names = theirs["modules"].get(module, {}).get("names", {})
        for name in description.get("names", {}):
            if name not in their_names:
                yield f"{module}.{name}"


# --- classification ----------------------------------------------------------------------------

def classify(key, text, table, bases):
    """Status and note of a difference, from the API table.

    The row of the name itself, or of the same name in a base class, gives the status (a row
    saying ``same`` makes the difference UNEXPECTED, except a parameter the table lists as
    keyword-only in baccmod that BAccMod also took by position). A parameter without a row
    takes the row of its method or class unless that says ``same``; a name inside a module or
    class marked ``issue 8`` or ``omitted`` takes that status.
    """
    rows = {row.name: row for row in table.ROWS}
    for candidate, scope in candidates(key, bases):
        row = rows.get(candidate)
        if row is None or (scope == "container" and row.status in (table.SAME, table.DIFFERS)):
            continue
        if row.status != table.SAME:
            return row.status, row.note
        if text.startswith("position") and _keyword_in_table(row, key):
            return table.DIFFERS, "keyword argument in baccmod (BAccMod 0.4.1: also by position)"
        if scope != "owner":
            return UNEXPECTED, f"the table says {candidate} is the same"
    return UNEXPECTED, "not in the table"


def _keyword_in_table(row, key):
    name = key.rpartition("(")[2].rstrip(")")
    return any(p.name == name and not p.positional for p in row.parameters or ())


def candidates(key, bases):
    """(table name, scope) that may describe ``key``: itself and the same name in a base class
    ("exact"), the method or class of a parameter ("owner"), the classes and modules holding
    it ("container")."""
    owner, _, parameter = key.partition("(")
    head, _, tail = owner.rpartition(".")
    owners = [owner] + bases.get(owner, []) + [f"{base}.{tail}" for base in bases.get(head, [])]
    for name in owners:
        yield (f"{name}({parameter}" if parameter else name), "exact"
    if parameter:
        for name in owners:
            yield name, "owner"
    parts = owner.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:cut]), "container"


def class_bases(description):
    """{class key: [base class keys]} of BAccMod's classes."""
    bases = {}
    for module in description["modules"].values():
        for name, desc in module.get("names", {}).items():
            if desc["kind"] == "class":
                bases[f"{desc['module']}.{name}"] = [b for b in desc["bases"]
                                                     if b.startswith("baccmod")]
    return bases


def report(title, theirs, ours, table):
    bases = class_bases(theirs)
    rows = sorted({(key, text) for key, text in differences(theirs, ours)})
    classified = [(key, text, *classify(key, text, table, bases)) for key, text in rows]
    lines = [f"## {title}", "", "| BAccMod name | in baccmod | status | note |",
             "|---|---|---|---|"]
    lines += [f"| `{key}` | {text} | {status} | {note} |"
              for key, text, status, note in classified]
    counts = {}
    for *_, status, _ in classified:
        counts[status] = counts.get(status, 0) + 1
    lines += ["", "Differences: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                                     or "none"), "",
              "Only in baccmod: " + ", ".join(f"`{n}`" for n in only_ours(theirs, ours)), ""]
    return "\n".join(lines), counts.get(UNEXPECTED, 0)


def main(argv=None):
    args = parse_args(argv)
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    table = load_table()
    ours = introspect(environment.ours(), output / "api-ours.json")
    baccmod = environment.ensure_baccmod_venv(Path(args.baccmod_venv))
    sections = [("BAccMod 0.4.1 vs baccmod", introspect(baccmod, output / "api-baccmod-0.4.1.json"))]
    with tempfile.TemporaryDirectory(prefix="baccmod-head-") as folder:
        if args.head_source:
            checkout = head_checkout(args.head_source, folder)
            head = introspect(baccmod, output / "api-baccmod-head.json", checkout)
            if not head["baccmod_file"].startswith(str(checkout)):
                raise SystemExit(f"BAccMod head imported from {head['baccmod_file']}, not "
                                 f"{checkout}.")
            sections.append(("BAccMod development head vs baccmod", head))
    texts, unexpected = ["# API differences: BAccMod vs baccmod", ""], 0
    for title, theirs in sections:
        text, count = report(title, theirs, ours, table)
        texts.append(text)
        unexpected += count
    text = "\n".join(texts)
    (output / "api_diff.md").write_text(text + "\n")
    print(text)
    print(f"Saved {output / 'api_diff.md'}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
