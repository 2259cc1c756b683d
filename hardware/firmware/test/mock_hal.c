#include "mock_hal.h"

#include <string.h>

static uint32_t micros(void *ctx) { return ((mock_t *)ctx)->now_us; }
static void read_joints(void *ctx, float *pos, float *vel, float *eff, unsigned n) {
  mock_t *m = ctx;
  memcpy(pos, m->q, n * sizeof(float));
  memcpy(vel, m->dq, n * sizeof(float));
  memcpy(eff, m->tau, n * sizeof(float));
}
static void write_torques(void *ctx, const float *tau, unsigned n) { memcpy(((mock_t *)ctx)->tau, tau, n * sizeof(float)); }
static int read_imu(void *ctx, float g[3], float q[4]) {
  (void)ctx;
  g[0] = 0.25f; g[1] = 0; g[2] = 0;
  q[0] = q[1] = q[2] = 0; q[3] = 1;
  return 1;
}
static size_t link_write(void *ctx, const uint8_t *buf, size_t len) {
  mock_t *m = ctx;
  if (m->tx_full || m->tx_len + len > sizeof m->tx || (m->tx_cap && m->tx_len + len > m->tx_cap)) return 0;
  memcpy(m->tx + m->tx_len, buf, len);
  m->tx_len += len;
  return len;
}
static size_t link_backlog(void *ctx) {
  mock_t *m = ctx;
  return m->tx_cap ? m->tx_len : 0;
}
static void on_event(void *ctx, const char *what, uint8_t from, uint8_t to, uint32_t age) {
  (void)what; (void)from; (void)to; (void)age;
  ((mock_t *)ctx)->events++;
}

void mock_hal_init(s2r_hal_t *hal, mock_t *m) {
  memset(m, 0, sizeof *m);
  memset(hal, 0, sizeof *hal);
  hal->ctx = m;
  hal->micros = micros;
  hal->read_joints = read_joints;
  hal->write_torques = write_torques;
  hal->read_imu = read_imu;
  hal->link_write = link_write;
  hal->link_backlog = link_backlog;
  hal->on_event = on_event;
}

void mock_drain(mock_t *m, mock_rx_t *out) {
  static s2r_decoder_t d;
  static s2r_msg_t msg;
  size_t i;
  memset(out, 0, sizeof *out);
  s2r_decoder_init(&d);
  for (i = 0; i < m->tx_len; i++) {
    int r = s2r_decoder_push(&d, m->tx[i], &msg);
    if (r == 1) {
      if (m->have_seq) out->seq_gaps += (uint16_t)(msg.seq - m->last_seq - 1u);
      m->have_seq = 1;
      m->last_seq = msg.seq;
      out->n[msg.type]++;
      out->last[msg.type & 7] = msg;
      if (msg.type == S2R_MSG_ERROR) out->last_error = msg;
    } else if (r < 0) out->bad++;
  }
  m->tx_len = 0;
}
