#!/usr/bin/env bash
# Runs the test suite. Release, because the recall tests build real indexes; with
# -enable-testing, because the tests use @testable import. The object-storage tests need
# moto's S3 server and botocore (installed with pip when missing; the tests start the
# server on loopback themselves) and the AWS SigV4 test suite (fetched from PyPI).
# Arguments go to `swift test`:  scripts/test.sh --filter Recall
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/ensure-deps.sh
source scripts/lib/ensure-deps.sh
ensure_deps
ensure_test_deps

exec swift test -c release -Xswiftc -enable-testing "$@"
