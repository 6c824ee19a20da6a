#!/usr/bin/env python3
"""Checks that arrows between the library's folders only point down (docs/architecture.md).

Each folder of Sources/Semblance is a layer; a file may name the types declared in its own
layer and in the layers below it, never those of a layer above. Exits 1 naming every file
that breaks the rule and the types it names. Run by .ci/run.
"""
import collections
import glob
import os
import re
import sys

# Bottom up. A folder missing here is an error: every folder has a place.
LAYERS = ["Errors", "Bytes", "Kernels", "Metadata", "Index", "Files", "Engine", "Collection", "Exchange", "Client"]
IGNORED = {"Semblance.docc"}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "Semblance")
rank = {name: i for i, name in enumerate(LAYERS)}
declaration = re.compile(
    r"^(?:(?:public|package|private|fileprivate|internal|final|nonisolated|indirect)\s+|@\w+(?:\([^)]*\))?\s+)*"
    r"(?:struct|class|enum|actor|protocol|typealias)\s+(\w+)", re.M)

files = sorted(glob.glob(os.path.join(root, "**", "*.swift"), recursive=True))
folders = {os.path.relpath(f, root).split(os.sep)[0] for f in files} - IGNORED
unknown = sorted(folders - set(LAYERS))
if unknown:
    print(f"folders without a layer in scripts/check-layers.py: {unknown}")
    sys.exit(1)

home = {}
for path in files:
    folder = os.path.relpath(path, root).split(os.sep)[0]
    for match in declaration.finditer(open(path, encoding="utf-8").read()):
        home.setdefault(match.group(1), folder)

violations = collections.defaultdict(set)
for path in files:
    folder = os.path.relpath(path, root).split(os.sep)[0]
    text = re.sub(r"//.*", "", open(path, encoding="utf-8").read())
    for name, owner in home.items():
        if rank[owner] > rank[folder] and re.search(r"\b" + name + r"\b", text):
            violations[os.path.relpath(path, root)].add(f"{name} ({owner})")

for path, names in sorted(violations.items()):
    print(f"Sources/Semblance/{path} names a higher layer: {', '.join(sorted(names))}")
if violations:
    sys.exit(1)
print(f"layers: {len(files)} files in {len(folders)} folders; every arrow points down ({' < '.join(LAYERS)})")
