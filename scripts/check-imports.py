#!/usr/bin/env python3
"""Checks the module arrows of the package (docs/architecture.md).

Two rules, on every Swift file under Sources/ and Tests/:
  1. Every module of this package (or of a package product) that a file imports is declared as a dependency of
     the file's target in Package.swift.
  2. No target imports or declares a module it must not depend on:
       WireBytes   -> any other module of the package (it is the leaf)
       Dissect     -> CPcap, CSodium, CCrypto, ProofVerify, WSSniff
       ProofVerify -> Dissect, CPcap, WSSniff
       anything    -> wssniff (the command-line target; the CLI tests may depend on it to build the binary, never
                      import it)

Usage: scripts/check-imports.py [ROOT]   (ROOT: the package directory, default: this script's parent's parent)
Exit status: 0 when both rules hold, 1 when one is broken (each break printed on its own line), 2 when the package
cannot be read.
"""

import json
import os
import re
import subprocess
import sys

FORBIDDEN = {
    "Dissect": {"CPcap", "CSodium", "CCrypto", "ProofVerify", "WSSniff"},
    "ProofVerify": {"Dissect", "CPcap", "WSSniff"},
}
CLI_TARGET = "wssniff"
LEAF = "WireBytes"

# `import X`, `@testable import X`, `internal import X`, `package import X`, `@preconcurrency import X`, ...
IMPORT = re.compile(r"^\s*(?:@\w+\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+"
                    r"(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def load_package(root):
    try:
        out = subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True, capture_output=True,
                             text=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        sys.exit(f"check-imports: cannot read Package.swift in {root}: {detail.strip()}")
    return json.loads(out)


def dependency_names(target):
    names = set()
    for dependency in target["dependencies"]:
        for kind, value in dependency.items():
            if kind in ("byName", "target"):
                names.add(value[0])
            elif kind == "product":
                names.add(value[0])
    return names


def target_directory(root, target):
    if target.get("path"):
        return os.path.join(root, target["path"])
    base = "Tests" if target["type"] == "test" else "Sources"
    return os.path.join(root, base, target["name"])


def imports_in(directory):
    for folder, _, files in os.walk(directory):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    match = IMPORT.match(line)
                    if match:
                        yield path, number, match.group(1)


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    package = load_package(root)
    targets = package["targets"]
    modules = {target["name"] for target in targets}
    for target in targets:
        modules |= {name for name in dependency_names(target) if name not in modules and name[0].isupper()}
    internal = {target["name"] for target in targets if target["type"] != "test"}
    problems = []
    for target in targets:
        name = target["name"]
        declared = dependency_names(target)
        forbidden = set(FORBIDDEN.get(name, set()))
        if name == LEAF:
            forbidden |= internal - {LEAF}
        for module in sorted(declared & forbidden):
            problems.append(f"Package.swift: {name} depends on {module}, an arrow the architecture forbids")
        if CLI_TARGET in declared and target["type"] != "test":
            problems.append(f"Package.swift: {name} depends on the command-line target {CLI_TARGET}")
        directory = target_directory(root, target)
        if not os.path.isdir(directory):
            continue
        for path, number, module in imports_in(directory):
            where = f"{os.path.relpath(path, root)}:{number}"
            if module == CLI_TARGET and name != CLI_TARGET:
                problems.append(f"{where}: {name} imports the command-line target {CLI_TARGET}")
            elif module in forbidden:
                problems.append(f"{where}: {name} imports {module}, an arrow the architecture forbids")
            elif module in modules and module != name and module not in declared:
                problems.append(f"{where}: {name} imports {module}, which Package.swift does not declare for it")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-imports: {len(problems)} problem(s); the allowed arrows are in docs/architecture.md",
              file=sys.stderr)
        return 1
    print(f"check-imports: {len(targets)} targets, every import declared, no forbidden arrow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
