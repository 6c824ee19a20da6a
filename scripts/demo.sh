#!/usr/bin/env bash
# Builds the `semblance` tool (release) and runs its demo: semantic search over 3,000 real
# Debian package descriptions, then recall against an exact scan and search speed.
# Arguments go to the demo:  scripts/demo.sh [--k N] [--ef N] [--queries N] [--json]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/ensure-deps.sh
source scripts/lib/ensure-deps.sh
ensure_deps

exec swift run -c release semblance demo "$@"
