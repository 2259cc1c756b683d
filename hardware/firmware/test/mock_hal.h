/* A scriptable HAL for unit tests and the fuzzer: time is set by the test, motors are ideal integrators. */
#ifndef S2R_MOCK_HAL_H
#define S2R_MOCK_HAL_H

#include "s2r_fw.h"

typedef struct {
  uint32_t now_us;
  float q[S2R_MAX_JOINTS], dq[S2R_MAX_JOINTS], tau[S2R_MAX_JOINTS];
  uint8_t tx[1 << 20]; /* 1 MB: seconds of 1 kHz state frames between drains */
  size_t tx_len;
  int tx_full; /* make link_write refuse */
  /* 0: an ideal link (backlog always 0). Otherwise a TX queue of tx_cap bytes that the host drains only by
   * mock_drain: link_write refuses frames that do not fit and link_backlog reports tx_len. */
  size_t tx_cap;
  int events;
  int have_seq; /* mock_drain: the device's last frame seq seen, across drains */
  uint16_t last_seq;
} mock_t;

void mock_hal_init(s2r_hal_t *hal, mock_t *m);
/* Decode everything the firmware sent since the last call; counts by message type, keeps the last of each. */
typedef struct {
  int n[256];
  s2r_msg_t last[8]; /* by type & 7: state 1, heartbeat 3, config 6, error 7 */
  s2r_msg_t last_error;
  int bad;
  int seq_gaps; /* frames missing between consecutive device seqs (refused by link_write after encoding) */
} mock_rx_t;
void mock_drain(mock_t *m, mock_rx_t *out);

#endif
