#!/usr/bin/env python3
"""Checks the public API's documentation against its symbol graph (run by scripts/check-docs.sh).

    check-docs.py SYMBOL_GRAPH_DIR CATALOG MODULE

Reads MODULE.symbols.json and MODULE@*.symbols.json in SYMBOL_GRAPH_DIR (public symbols
only, as `swift package dump-symbol-graph` writes them) and fails, one line per problem:

- when a public symbol declared in Sources/ has no doc comment. A member that implements a
  protocol requirement (`description`, `==`, `hash(into:)`, `makeIterator()`, `init(from:)`,
  `run()`, ...) may inherit the requirement's comment, as the symbol graph and DocC do; a
  type must have its own, except a type alias that implements an associated type
  (`typealias Element = VectorRecord`). Members the compiler synthesizes or a protocol
  extension supplies have no location in Sources/ and are not ours to document.
- when a public type (structure, class, actor, enumeration, protocol or type alias, at top
  level or nested; not a type alias that implements an associated type) is curated in no
  topic group (a `### ` heading under `## Topics`) of the landing page, or of an article or
  symbol extension page that the landing page links, directly or through other such pages.
"""
import glob
import json
import os
import re
import sys
from urllib.parse import unquote, urlparse

TYPE_KINDS = {"swift.struct", "swift.class", "swift.actor", "swift.enum", "swift.protocol", "swift.typealias"}
SKIPPED_KINDS = {"swift.extension"}

graph_dir, catalog, module = sys.argv[1:4]
root = os.getcwd()


def source_path(uri):
    """The path of a file:// URI relative to the repository, or None when it is not under Sources/."""
    path = os.path.relpath(unquote(urlparse(uri).path), root)
    return path if path.startswith("Sources" + os.sep) else None


# Symbols, by precise identifier (a symbol may appear in more than one graph file).
symbols = {}
graphs = [os.path.join(graph_dir, f"{module}.symbols.json")] + sorted(glob.glob(os.path.join(graph_dir, f"{module}@*.symbols.json")))
for graph in graphs:
    with open(graph, encoding="utf-8") as f:
        for symbol in json.load(f)["symbols"]:
            symbols.setdefault(symbol["identifier"]["precise"], symbol)

problems = []
checked = 0       # symbols declared in Sources/
paths = set()     # "A.B.c()" of every symbol, for resolving links
types = {}        # "A.B" -> (file, line) of every public type declared in Sources/
for symbol in symbols.values():
    kind = symbol["kind"]["identifier"]
    if kind in SKIPPED_KINDS:
        continue
    name = ".".join(symbol["pathComponents"])
    paths.add(name)
    location = symbol.get("location")
    file = location and source_path(location["uri"])
    if not file:
        continue  # synthesized, or supplied by a protocol extension of another module
    line = location["position"]["line"] + 1
    checked += 1
    comment = symbol.get("docComment")
    own = comment is not None and comment.get("module") == module and comment.get("uri") == location["uri"]
    if kind == "swift.typealias" and comment is not None and not own:
        continue  # implements an associated type, whose comment it inherits
    if kind in TYPE_KINDS:
        types[name] = (file, line)
        if not own:
            problems.append((file, line, f"{name}: a public type without a doc comment of its own"))
    elif comment is None or not any(l["text"].strip() for l in comment["lines"]):
        problems.append((file, line, f"{name}: a public {symbol['kind']['displayName'].lower()} without a doc comment"))


# The catalog's pages: articles by file name, symbol extension pages by symbol path.
def strip_component(component):
    # A disambiguation suffix ("-swift.struct", "-1abc2", "-(_:)", "->Int") follows a "-";
    # an operator's name may start with one.
    if component and (component[0].isalpha() or component[0] == "_"):
        return component.split("-", 1)[0]
    return component


def symbol_link(link, scope):
    """The symbol path a ``link`` names, resolved from the symbol path `scope` outwards."""
    parts = [strip_component(p) for p in link.split("#")[0].strip("/").split("/") if p]
    if parts and parts[0] == module:
        parts = parts[1:]
    if not parts:
        return module
    for depth in range(len(scope), -1, -1):
        candidate = ".".join(scope[:depth] + parts)
        if candidate in paths:
            return candidate
    return ".".join(parts)


pages = {}  # key ("doc:Name" or "symbol:Path") -> (file, text, scope)
for path in sorted(glob.glob(os.path.join(catalog, "**", "*.md"), recursive=True)):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    title = re.match(r"\s*#\s+``([^`]+)``", text)
    if title:
        target = symbol_link(title.group(1), [])
        scope = [] if target == module else target.split(".")
        pages[f"symbol:{target}"] = (path, text, scope)
    else:
        pages["doc:" + os.path.splitext(os.path.basename(path))[0]] = (path, text, [])

landing = f"symbol:{module}"
if landing not in pages:
    problems.append((catalog, 0, f"no landing page (a page titled ``{module}``)"))

link_pattern = re.compile(r"``([^`]+)``|<doc:([^>]+)>")


def links(text, scope):
    for match in link_pattern.finditer(text):
        if match.group(1):
            yield "symbol:" + symbol_link(match.group(1), scope)
        else:
            name = match.group(2).split("#")[0].strip("/").split("/")[-1]
            yield "doc:" + re.sub(r"-article$", "", name)


curated = set()
seen, queue = {landing}, [landing] if landing in pages else []
while queue:
    path, text, scope = pages[queue.pop()]
    topics = re.search(r"^##\s+Topics\s*$(.*?)(?=^#{1,2}\s|\Z)", text, re.M | re.S)
    if topics:
        for group in re.split(r"^###\s+.*$", topics.group(1), flags=re.M)[1:]:
            for item in re.findall(r"^\s*[-*+]\s+(.*)$", group, re.M):
                curated.update(k[len("symbol:"):] for k in links(item, scope) if k.startswith("symbol:"))
    for key in links(text, scope):
        if key in pages and key not in seen:
            seen.add(key)
            queue.append(key)

landing_file = os.path.relpath(pages[landing][0], root) if landing in pages else catalog
for name, (file, line) in sorted(types.items()):
    if name not in curated:
        problems.append((file, line, f"{name}: a public type curated in no topic group of {landing_file} or a page it links"))

for file, line, message in sorted(problems):
    print(f"{file}:{line}: {message}")
if problems:
    print(f"{len(problems)} documentation problem(s)", file=sys.stderr)
    sys.exit(1)
print(f"{checked} public symbols declared in Sources/ documented, {len(types)} public types curated")
