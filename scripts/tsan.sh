#!/usr/bin/env bash
# Runs the concurrency stress test under ThreadSanitizer: a debug build with
# --sanitize=thread in its own scratch folder (.build-tsan), then the test. Fails on any
# ThreadSanitizer report ("WARNING: ThreadSanitizer"), not only on a failed test.
# Arguments go to `swift test` instead of the default filter:  scripts/tsan.sh --filter Client
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/ensure-deps.sh
source scripts/lib/ensure-deps.sh
ensure_deps

scratch=.build-tsan
if [ "$#" -eq 0 ]; then set -- --filter ConcurrencyStress; fi
started=$SECONDS

# Synchronization.Mutex on Linux takes and releases a contended lock in the toolchain's
# libswiftSynchronization.so (a spin, then futex calls), which is not instrumented: the
# sanitizer sees only the uncontended fast path, inlined into our code, and reports the
# critical sections of a contended Mutex as races (a ten-line program that appends to an
# array under a Mutex from four threads is enough). This shim, preloaded, wraps the three
# slow-path functions and tells the sanitizer what they did: acquire after a lock, release
# before an unlock, on the lock word, where the fast path's atomics already synchronize.
# Nothing is suppressed: a race outside a lock is still reported.
toolchain_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
sync_lib="$toolchain_bin/../lib/swift/linux/libswiftSynchronization.so"
slow_paths=(
    '$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF'
    '$s15Synchronization12_MutexHandleV12_tryLockSlowSbyF'
    '$s15Synchronization12_MutexHandleV11_unlockSlowyyF'
)
if [ -f "$sync_lib" ] && command -v nm >/dev/null 2>&1; then
    exported="$(nm -D --defined-only "$sync_lib")"
    for symbol in "${slow_paths[@]}"; do
        if ! grep -qF "$symbol" <<<"$exported"; then
            echo "error: $sync_lib no longer exports $symbol; update the Mutex shim in $0" >&2
            exit 1
        fi
    done
fi
cc="$toolchain_bin/clang"
[ -x "$cc" ] || cc=clang
mkdir -p "$scratch/tsan-mutex-shim"
shim="$scratch/tsan-mutex-shim/libtsan-mutex-shim.so"
cat > "$scratch/tsan-mutex-shim/shim.c" <<'EOF'
// Wraps Synchronization._MutexHandle's slow paths (Swift calling convention: the handle,
// whose first word is the lock word, is the self/context argument) with ThreadSanitizer
// annotations. The sanitizer's functions are weak: in processes without it (swift test
// itself) the wrappers only forward.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>

#define SWIFTCALL __attribute__((swiftcall))
#define SELF __attribute__((swift_context))
#define LOCK_SLOW "$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF"
#define TRY_LOCK_SLOW "$s15Synchronization12_MutexHandleV12_tryLockSlowSbyF"
#define UNLOCK_SLOW "$s15Synchronization12_MutexHandleV11_unlockSlowyyF"

void __tsan_acquire(void *address) __attribute__((weak));
void __tsan_release(void *address) __attribute__((weak));

typedef SWIFTCALL void (*LockSlow)(uint32_t, void *SELF);
typedef SWIFTCALL bool (*TryLockSlow)(void *SELF);
typedef SWIFTCALL void (*UnlockSlow)(void *SELF);
static LockSlow realLockSlow;
static TryLockSlow realTryLockSlow;
static UnlockSlow realUnlockSlow;

__attribute__((constructor)) static void resolve(void) {
    realLockSlow = (LockSlow)dlsym(RTLD_NEXT, LOCK_SLOW);
    realTryLockSlow = (TryLockSlow)dlsym(RTLD_NEXT, TRY_LOCK_SLOW);
    realUnlockSlow = (UnlockSlow)dlsym(RTLD_NEXT, UNLOCK_SLOW);
}

SWIFTCALL void lockSlow(uint32_t thread, void *SELF handle) __asm__(LOCK_SLOW);
SWIFTCALL void lockSlow(uint32_t thread, void *SELF handle) {
    realLockSlow(thread, handle);
    if (__tsan_acquire) __tsan_acquire(handle);
}

SWIFTCALL bool tryLockSlow(void *SELF handle) __asm__(TRY_LOCK_SLOW);
SWIFTCALL bool tryLockSlow(void *SELF handle) {
    bool locked = realTryLockSlow(handle);
    if (locked && __tsan_acquire) __tsan_acquire(handle);
    return locked;
}

SWIFTCALL void unlockSlow(void *SELF handle) __asm__(UNLOCK_SLOW);
SWIFTCALL void unlockSlow(void *SELF handle) {
    if (__tsan_release) __tsan_release(handle);
    realUnlockSlow(handle);
}
EOF
"$cc" -O2 -shared -fPIC -o "$shim" "$scratch/tsan-mutex-shim/shim.c" -ldl

echo "==> swift build --build-tests --sanitize=thread --scratch-path $scratch"
swift build --build-tests --sanitize=thread --scratch-path "$scratch"
built=$SECONDS

log="$scratch/tsan-test.log"
echo "==> swift test --sanitize=thread --skip-build $*   (TSAN_OPTIONS halt_on_error=1, Mutex shim preloaded)"
status=0
LD_PRELOAD="$(pwd)/$shim${LD_PRELOAD:+:$LD_PRELOAD}" \
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1${TSAN_OPTIONS:+ $TSAN_OPTIONS}" \
    swift test --sanitize=thread --scratch-path "$scratch" --skip-build "$@" 2>&1 | tee "$log" || status=$?

if grep -q "WARNING: ThreadSanitizer" "$log"; then
    echo "FAILED: ThreadSanitizer reported a problem (see above)" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    echo "FAILED: swift test exited with status $status" >&2
    exit "$status"
fi
if ! grep -qE "Test run with [1-9][0-9]* tests?" "$log"; then
    echo "FAILED: no test ran (swift test $*)" >&2
    exit 1
fi
echo "ThreadSanitizer: no reports; build $((built - started))s, tests $((SECONDS - built))s"
