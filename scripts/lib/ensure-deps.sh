# shellcheck shell=bash
# Sourced by scripts/*.sh. ensure_deps makes sure the Swift toolchain is there and that
# liblz4 can be found through pkg-config (the CLZ4 target needs both), installing Debian's
# liblz4-dev and pkg-config with apt-get when they are missing.

ensure_deps() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "error: 'swift' is not on PATH; Semblance needs a Swift 6 toolchain (https://www.swift.org/install)" >&2
        return 1
    fi
    if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists liblz4; then
        return 0
    fi

    local packages="liblz4-dev pkg-config"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: liblz4 is not found through pkg-config, and this is not a Debian-like system (no apt-get)." >&2
        echo "       Install liblz4 and pkg-config yourself (macOS: brew install lz4 pkg-config), then run this again." >&2
        return 1
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "error: liblz4 is not found through pkg-config, and installing it needs root: run" >&2
            echo "       apt-get update && apt-get install -y $packages   (as root), then run this again." >&2
            return 1
        fi
        # With no terminal to ask for a password on (CI), fail rather than wait.
        if [ -t 0 ]; then sudo=(sudo); else sudo=(sudo -n); fi
    fi

    echo "==> liblz4 is not found through pkg-config; installing $packages with apt-get${sudo[*]:+ (via sudo)}" >&2
    if ! ${sudo[@]+"${sudo[@]}"} apt-get update -q >&2 \
        || ! ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages >&2; then
        echo "error: could not install $packages; install them yourself, then run this again." >&2
        return 1
    fi
    if ! pkg-config --exists liblz4; then
        echo "error: $packages were installed, but 'pkg-config --exists liblz4' still fails." >&2
        return 1
    fi
}

# ensure_test_deps makes sure what the object-storage tests need is there: moto's S3
# server and botocore (pip, from PyPI), and the AWS SigV4 test suite (scripts/fetch-sigv4-suite.sh).
ensure_test_deps() {
    if ! python3 -c "import moto.server, botocore, flask" >/dev/null 2>&1; then
        echo "==> installing moto[server] (the S3 tests' server) and botocore with pip" >&2
        if ! python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' botocore >&2 \
            && ! python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages 'moto[server]' botocore >&2; then
            echo "error: could not install moto[server] and botocore; run: python3 -m pip install 'moto[server]' botocore" >&2
            return 1
        fi
    fi
    scripts/fetch-sigv4-suite.sh >&2
}
