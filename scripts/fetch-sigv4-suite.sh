#!/usr/bin/env bash
# Puts the AWS Signature Version 4 test suite in .sigv4-suite/aws4_testsuite, from
# botocore's source distribution on PyPI (tests/unit/auth/aws4_testsuite; Apache-2.0,
# its LICENSE and NOTICE are copied beside it). The SigV4 tests read it there. Does
# nothing when it is there already.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=.sigv4-suite
[ -d "$target/aws4_testsuite" ] && exit 0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-binary :all: --no-deps --dest "$work" botocore
tar -xzf "$work"/botocore-*.tar.gz -C "$work"
source="$(echo "$work"/botocore-*/)"
mkdir -p "$target"
cp -R "$source/tests/unit/auth/aws4_testsuite" "$target/aws4_testsuite.partial"
cp "$source/LICENSE.txt" "$target/LICENSE.txt" 2>/dev/null || cp "$source"/LICENSE* "$target/" 2>/dev/null || true
cp "$source"/NOTICE* "$target/" 2>/dev/null || true
mv "$target/aws4_testsuite.partial" "$target/aws4_testsuite"
echo "SigV4 test suite: $(find "$target/aws4_testsuite" -name '*.req' | wc -l) vectors in $target/aws4_testsuite"
