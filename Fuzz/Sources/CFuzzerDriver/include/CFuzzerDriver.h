#ifndef SEMBLANCE_C_FUZZER_DRIVER_H
#define SEMBLANCE_C_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (flags, corpus loading, mutation loop) on `callback`, as its
/// `main` would on LLVMFuzzerTestOneInput. Defined by libclang_rt.fuzzer_no_main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// LLVMFuzzerRunDriver, through a C call (Swift calls this one).
int semblance_fuzz_run_driver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
