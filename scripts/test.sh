#!/usr/bin/env bash
# Runs the test suite. Release, because the recall tests build real indexes; with
# -enable-testing, because the tests use @testable import.
# Arguments go to `swift test`:  scripts/test.sh --filter Recall
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/ensure-deps.sh
source scripts/lib/ensure-deps.sh
ensure_deps

exec swift test -c release -Xswiftc -enable-testing "$@"
