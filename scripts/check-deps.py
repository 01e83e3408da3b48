#!/usr/bin/env python3
"""check-deps.py [ROOT] - the module include graph against docs/ARCHITECTURE.md.

Reads the module table of ROOT/docs/ARCHITECTURE.md (the rows whose
"library" cell is `ps_...`: its "folder", its "depends on" cell, where every
`ps_...` names a module and anything else is an external library, and its
"public headers" cell, the `name.h` other modules may include).
Then finds every .c and .h under those folders (by walking the directories,
not through git) and takes each `#include "X/..."` whose X is another
folder of ROOT as an edge from the file's module to X.

Fails (exit 1), naming FILE:LINE of the include, when
- an edge is not listed in the table (or X is a folder that is no module),
- another module includes a header of X that X's row does not list,
- the graph has a cycle,
- the table lists a module edge that no include makes (the table is stale).
Prints "ok: deps: N files, M edges, acyclic" on success.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_.-]+)/([^"]+)"')
HEADER = re.compile(r"`([A-Za-z0-9_./-]+\.h)`")
LIB = re.compile(r"`?(ps_[A-Za-z0-9_]+)`?")


def cells(line):
    """The cells of a Markdown table row, stripped."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def read_table(path):
    """{library: (folder, set of module libraries it depends on, set of
    public headers)} from the first table whose header names library, folder,
    depends on and public headers."""
    mods = {}
    cols = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.lstrip().startswith("|"):
                if mods:
                    break
                cols = None
                continue
            row = cells(line)
            if cols is None:
                names = [c.lower() for c in row]
                want = ("library", "folder", "depends on", "public headers")
                if all(w in names for w in want):
                    cols = tuple(names.index(w) for w in want)
                continue
            if set("".join(row)) <= set("-: "):
                continue  # the |---|---| line
            lib = LIB.fullmatch(row[cols[0]])
            if not lib:
                continue
            folder = row[cols[1]].strip("`").rstrip("/")
            deps = set(LIB.findall(row[cols[2]]))
            public = {h.split("/")[-1] for h in HEADER.findall(row[cols[3]])}
            mods[lib.group(1)] = (folder, deps, public)
    return mods


def find_cycle(graph):
    """One cycle of graph {node: set(node)} as a list [a, b, ..., a], or None."""
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    doc = os.path.join(root, "docs", "ARCHITECTURE.md")
    shown = os.path.relpath(doc, root)
    if not os.path.isfile(doc):
        print(f"FAIL: deps: {doc} not found")
        return 1
    mods = read_table(doc)
    if not mods:
        print(f"FAIL: deps: no module table (library | folder | depends on | public headers)"
              f" in {doc}")
        return 1
    lib_of = {folder: lib for lib, (folder, _, _) in mods.items()}
    errors = []
    for lib, (folder, deps, public) in sorted(mods.items()):
        if not os.path.isdir(os.path.join(root, folder)):
            errors.append(f"{shown}: {lib}: folder {folder}/ does not exist")
        for d in sorted(deps - set(mods)):
            errors.append(f"{shown}: {lib} depends on {d}, which is not in the table")
        for h in sorted(public):
            if not os.path.isfile(os.path.join(root, folder, h)):
                errors.append(f"{shown}: {lib} lists public header {folder}/{h}, "
                              f"which does not exist")

    nfiles = 0
    edges = {}  # (from lib, to lib) -> first "file:line"
    for folder in sorted(lib_of):
        top = os.path.join(root, folder)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                nfiles += 1
                with open(path, encoding="utf-8", errors="replace") as f:
                    for no, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m or m.group(1) == folder:
                            continue
                        to = m.group(1)
                        if to not in lib_of:
                            if os.path.isdir(os.path.join(root, to)):
                                errors.append(f"{rel}:{no}: includes {to}/, "
                                              f"which is no module of the table in {shown}")
                            continue
                        if m.group(2) not in mods[lib_of[to]][2]:
                            errors.append(f"{rel}:{no}: includes {to}/{m.group(2)}, "
                                          f"which is not a public header of "
                                          f"{lib_of[to]} in {shown}")
                        edges.setdefault((lib_of[folder], lib_of[to]), f"{rel}:{no}")

    for (a, b), where in sorted(edges.items()):
        if b not in mods[a][1]:
            errors.append(f"{where}: {a} -> {b} is not listed in the 'depends on' "
                          f"column of {shown}")
    for lib, (_, deps, _) in sorted(mods.items()):
        for d in sorted(deps & set(mods)):
            if (lib, d) not in edges:
                errors.append(f"{shown}: {lib} lists {d} but no file of "
                              f"{mods[lib][0]}/ includes a header of {mods[d][0]}/")
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    cycle = find_cycle(graph)
    if cycle:
        path = " -> ".join(cycle)
        where = ", ".join(edges[(cycle[i], cycle[i + 1])] for i in range(len(cycle) - 1))
        errors.append(f"cycle {path} (includes at {where})")

    if errors:
        for e in errors:
            print(e)
        print(f"FAIL: deps: {len(errors)} problem(s) in the include graph "
              f"({nfiles} files, {len(edges)} edges)")
        return 1
    if nfiles == 0:
        print("FAIL: deps: no .c or .h file found under the module folders")
        return 1
    print(f"ok: deps: {nfiles} files, {len(edges)} edges, acyclic")
    return 0


if __name__ == "__main__":
    sys.exit(main())
