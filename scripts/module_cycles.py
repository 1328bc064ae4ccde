#!/usr/bin/env python3
"""Finds import cycles between the modules (files) of each crate of the workspace.

Reads every `src/**/*.rs` of every crate under `crates/` and `migrations/`, resolves the
`use crate::…`, `use super::…` and `use self::…` paths (and `crate::…` paths in code) to the file
of the module they name, and reports every cycle of that graph. Test modules (`#[cfg(test)]`
blocks and files named `tests.rs` or under `tests/`) are left out. Exits 1 when a cycle exists.

Usage: python3 scripts/module_cycles.py [ROOT]
"""
import re
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
USE = re.compile(r"\b(crate|super|self)((?:::\w+)+)")
COMMENT = re.compile(r"//[^\n]*")


def module_path(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def strip_tests(text: str) -> str:
    # Drops `#[cfg(test)] mod … { … }` blocks (brace matching) and `#[cfg(test)] mod x;` lines.
    out, i = [], 0
    while True:
        j = text.find("#[cfg(test)]", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        k = j + len("#[cfg(test)]")
        semi, brace = text.find(";", k), text.find("{", k)
        if brace < 0 or (0 <= semi < brace):
            i = semi + 1
            continue
        depth, m = 0, brace
        while m < len(text):
            depth += {"{": 1, "}": -1}.get(text[m], 0)
            m += 1
            if depth == 0:
                break
        i = m


def resolve(modules: set, here: tuple, is_mod_file: bool, head: str, rest: list) -> tuple | None:
    if head == "crate":
        base = ()
    elif head == "self":
        base = here
    else:  # super
        base = here[:-1]
    path = list(base) + rest
    while path and tuple(path) not in modules:
        path.pop()
    target = tuple(path)
    return target if target in modules else None


def crate_cycles(src: Path) -> list:
    files = [f for f in src.rglob("*.rs") if f.name != "tests.rs" and "tests" not in f.relative_to(src).parts[:-1]]
    modules = {module_path(src, f): f for f in files}
    graph = {m: set() for m in modules}
    for module, file in modules.items():
        text = COMMENT.sub("", strip_tests(file.read_text()))
        is_mod_file = file.stem in ("lib", "main", "mod")
        for head, tail in USE.findall(text):
            rest = [p for p in tail.split("::") if p]
            target = resolve(set(modules), module, is_mod_file, head, rest)
            # A module naming its own descendants or ancestors' items is no cycle of files.
            if target is not None and target != module and target[: len(module)] != module and module[: len(target)] != target:
                graph[module].add(target)
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
    return [[str(modules[m].relative_to(ROOT)) for m in c] for c in cycles]


found = 0
for src in sorted(ROOT.glob("crates/**/src")) + [ROOT / "migrations/src"]:
    if not src.is_dir():
        continue
    for cycle in crate_cycles(src):
        found += 1
        print("import cycle: " + " -> ".join(cycle))
print(f"{found} import cycle(s) between the modules of a crate")
sys.exit(1 if found else 0)
