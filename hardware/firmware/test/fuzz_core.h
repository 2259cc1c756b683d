/* Decoder + firmware fuzzer shared by `make test` (small N) and build/s2r-fuzz (benchmark, N ≥ 10^6). */
#ifndef S2R_FUZZ_CORE_H
#define S2R_FUZZ_CORE_H
#include <stdint.h>

typedef struct {
  uint64_t inputs, bytes, frames_ok, frame_errors, invariant_failures, fw_cmds_ok, fw_ticks;
} fuzz_stats_t;

/* Random and mutated frames through the streaming decoder and a full firmware instance.
 * Invariants: every non-empty frame is delivered or counted in exactly one error class; after every tick all
 * torques are finite and within the effort limits. */
void fuzz_run(uint64_t n, uint64_t seed, fuzz_stats_t *st);
#endif
