#!/usr/bin/env bash
# Checks the documentation of the Semblance library; fails, naming the symbol or page and
# its file, on any of:
#   - a warning of `docc convert` on Sources/Semblance/Semblance.docc with Semblance's
#     symbol graph (a broken or ambiguous link, an undocumented parameter, an article that
#     collides with a symbol, ...);
#   - a public symbol without a doc comment, or a public type curated in no topic group of
#     the landing page or of a page it links (scripts/check-docs.py).
# The symbol graph comes from `swift package dump-symbol-graph`, which reuses the debug build
# (.ci/run builds it just before) and builds what is missing. DocC's output goes to a
# temporary folder. Set DOCC to the docc binary to use; by default the one beside `swift`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=lib/ensure-deps.sh
source scripts/lib/ensure-deps.sh
ensure_deps

module=Semblance
catalog="Sources/$module/$module.docc"

docc="${DOCC:-}"
if [ -z "$docc" ]; then
    swift_bin="$(command -v swift)"
    if [ -x "$(dirname "$swift_bin")/docc" ]; then
        docc="$(dirname "$swift_bin")/docc"
    elif [ -x "$(dirname "$(readlink -f "$swift_bin")")/docc" ]; then
        docc="$(dirname "$(readlink -f "$swift_bin")")/docc"
    elif command -v docc >/dev/null 2>&1; then
        docc="$(command -v docc)"
    elif command -v xcrun >/dev/null 2>&1 && xcrun --find docc >/dev/null 2>&1; then
        docc="$(xcrun --find docc)"
    else
        echo "error: docc is not found beside swift nor on PATH; set DOCC to its path" >&2
        exit 1
    fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> symbol graph: swift package dump-symbol-graph --emit-extension-block-symbols"
if ! swift package dump-symbol-graph --emit-extension-block-symbols > "$work/dump.log" 2>&1; then
    cat "$work/dump.log"
    echo "FAILED: swift package dump-symbol-graph" >&2
    exit 1
fi
graphs="$(sed -n 's/^Files written to //p' "$work/dump.log" | tail -n 1)"
if [ ! -f "$graphs/$module.symbols.json" ]; then
    cat "$work/dump.log"
    echo "FAILED: no $module.symbols.json in '$graphs'" >&2
    exit 1
fi
# Only our module's graphs (its own, and its extensions of other modules' types), so that
# DocC neither documents nor checks the dependencies.
mkdir "$work/symbols"
for graph in "$graphs/$module.symbols.json" "$graphs/$module"@*.symbols.json; do
    if [ -f "$graph" ]; then cp "$graph" "$work/symbols/"; fi
done

echo "==> docc convert $catalog ($docc)"
failed=()
status=0
"$docc" convert "$catalog" \
    --additional-symbol-graph-dir "$work/symbols" \
    --output-path "$work/doc" \
    --fallback-display-name "$module" \
    --fallback-bundle-identifier "$module" \
    --ide-console-output \
    > "$work/docc.log" 2>&1 || status=$?
# One line per diagnostic ("<file>:<line>:<column>: warning: ..."), paths made relative.
sed "s|^$root/||" "$work/docc.log"
diagnostics="$(grep -cE "(^|: )(warning|error):" "$work/docc.log" || true)"
if [ "$status" -ne 0 ] || [ "$diagnostics" -ne 0 ]; then
    failed+=("docc convert: $diagnostics warning(s) or error(s), exit status $status")
else
    echo "no warnings"
fi

echo "==> public symbols and topic groups: scripts/check-docs.py"
python3 scripts/check-docs.py "$work/symbols" "$catalog" "$module" || failed+=("scripts/check-docs.py")

if [ "${#failed[@]}" -ne 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
