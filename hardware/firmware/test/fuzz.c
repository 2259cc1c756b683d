/* build/s2r-fuzz N SEED → one JSON line. A crash (sanitizer report or signal) is detected by the caller. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_core.h"

int main(int argc, char **argv) {
  fuzz_stats_t st;
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000ull;
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
  fuzz_run(n, seed, &st);
  printf("{\"fuzz\":\"c\",\"inputs\":%llu,\"bytes\":%llu,\"frames_ok\":%llu,\"frame_errors\":%llu,"
         "\"fw_ticks\":%llu,\"fw_cmds_ok\":%llu,\"invariant_failures\":%llu}\n",
         (unsigned long long)st.inputs, (unsigned long long)st.bytes, (unsigned long long)st.frames_ok,
         (unsigned long long)st.frame_errors, (unsigned long long)st.fw_ticks, (unsigned long long)st.fw_cmds_ok,
         (unsigned long long)st.invariant_failures);
  return st.invariant_failures ? 1 : 0;
}
