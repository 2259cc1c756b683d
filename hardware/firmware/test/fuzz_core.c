#include "fuzz_core.h"

#include <math.h>
#include <string.h>

#include "mock_hal.h"
#include "s2r_fw.h"

static uint64_t rs;
static uint64_t rnd(void) { /* xorshift64* */
  rs ^= rs >> 12; rs ^= rs << 25; rs ^= rs >> 27;
  return rs * 2685821657736338717ull;
}
static uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }
static float rfloat(void) {
  switch (below(8)) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: { uint32_t v = (uint32_t)rnd(); float f; memcpy(&f, &v, 4); return f; } /* any bit pattern */
    default: return ((float)below(20001) - 10000.0f) / 1000.0f;
  }
}

static size_t random_frame(uint8_t *out, size_t cap) {
  static s2r_msg_t m;
  static const uint8_t types[] = {1, 2, 3, 4, 5, 6, 7, 0x7F};
  unsigned j, n = below(4) ? 3 : 1 + below(S2R_MAX_JOINTS);
  memset(&m, 0, sizeof m);
  m.type = types[below(8)];
  m.seq = (uint16_t)rnd();
  m.time_us = (uint32_t)rnd();
  switch (m.type) {
    case S2R_MSG_COMMAND:
      m.u.command.n = (uint8_t)n;
      m.u.command.mode = (uint8_t)(below(5) ? below(3) : below(256));
      if (below(2)) { /* sane command: finite values, non-negative gains (exercises the PD and limits) */
        for (j = 0; j < n; j++) {
          m.u.command.pos[j] = ((float)below(2001) - 1000.0f) / 100.0f;
          m.u.command.vel[j] = ((float)below(2001) - 1000.0f) / 10.0f;
          m.u.command.tau[j] = ((float)below(2001) - 1000.0f) / 10.0f;
          m.u.command.kp[j] = (float)below(1000);
          m.u.command.kd[j] = (float)below(100) / 10.0f;
        }
      } else {
        for (j = 0; j < n; j++) {
          m.u.command.pos[j] = rfloat(); m.u.command.vel[j] = rfloat(); m.u.command.tau[j] = rfloat();
          m.u.command.kp[j] = rfloat(); m.u.command.kd[j] = rfloat();
        }
      }
      break;
    case S2R_MSG_STATE: m.u.state.n = (uint8_t)n; break;
    case S2R_MSG_CONFIG: m.u.config.n = (uint8_t)n; break;
    case S2R_MSG_RESET: m.u.reset.magic = below(2) ? S2R_RESET_MAGIC : (uint32_t)rnd(); break;
    case S2R_MSG_CONFIG_REQUEST: m.u.config_request.state_rate_hz = (uint16_t)below(3000); break;
    default: break;
  }
  return s2r_encode_frame(&m, out, cap);
}

void fuzz_run(uint64_t n, uint64_t seed, fuzz_stats_t *st) {
  static s2r_decoder_t d;
  static s2r_msg_t msg;
  static s2r_fw_t fw;
  static mock_t mk;
  static s2r_hal_t hal;
  static s2r_fw_config_t cfg;
  static uint8_t in[2048];
  uint64_t i;
  memset(st, 0, sizeof *st);
  rs = seed * 0x9E3779B97F4A7C15ull + 1;
  s2r_decoder_init(&d);
  mock_hal_init(&hal, &mk);
  s2r_fw_default_config(&cfg, 3);
  s2r_fw_init(&fw, &cfg, &hal);
  for (i = 0; i < n; i++) {
    size_t len = 0, k;
    uint32_t before, nonempty = 0, run = 0, kind = below(8);
    if (kind == 0) { /* random bytes, zeros included */
      len = below(700);
      for (k = 0; k < len; k++) in[k] = (uint8_t)rnd();
    } else if (kind == 1) { /* long run of non-zero bytes: oversize */
      len = 400 + below(1200);
      for (k = 0; k < len; k++) in[k] = (uint8_t)(1 + below(255));
    } else { /* valid frame, then mutated (kind 2: left intact) */
      len = random_frame(in, sizeof in);
      if (len > 0) len--; /* drop its delimiter; we add one below */
      if (kind >= 3 && len > 0) {
        unsigned f, flips = 1 + below(4);
        for (f = 0; f < flips; f++) in[below((uint32_t)len)] ^= (uint8_t)(1u << below(8));
      }
      if (kind == 4 && len > 1) len = 1 + below((uint32_t)len - 1); /* truncate */
      if (kind == 5 && len + 8 < sizeof in) { /* insert bytes */
        unsigned at = below((uint32_t)len + 1), cnt = 1 + below(8);
        memmove(in + at + cnt, in + at, len - at);
        for (k = 0; k < cnt; k++) in[at + k] = (uint8_t)rnd();
        len += cnt;
      }
      if (kind == 6 && len > 2) { /* delete a byte */
        unsigned at = below((uint32_t)len);
        memmove(in + at, in + at + 1, len - at - 1);
        len--;
      }
    }
    in[len++] = 0;
    for (k = 0; k < len; k++) {
      if (in[k] == 0) { if (run) nonempty++; run = 0; }
      else run++;
    }
    before = d.frames + s2r_decoder_error_total(&d);
    for (k = 0; k < len; k++) (void)s2r_decoder_push(&d, in[k], &msg);
    if (d.frames + s2r_decoder_error_total(&d) - before != nonempty) st->invariant_failures++;
    st->inputs++;
    st->bytes += len;

    /* The same bytes through a whole firmware; tick every few inputs and check the torques stay sane. */
    s2r_fw_rx(&fw, in, len);
    if (i % 4 == 0) {
      unsigned j;
      mk.now_us += 1000u * (1u + below(3));
      for (j = 0; j < 3; j++) { mk.q[j] = rfloat(); mk.dq[j] = below(4) ? mk.q[j] : 0.0f; }
      for (j = 0; j < 3; j++) if (!isfinite(mk.q[j])) mk.q[j] = 0.0f, mk.dq[j] = 0.0f; /* encoders are finite */
      s2r_fw_tick(&fw);
      st->fw_ticks++;
      for (j = 0; j < 3; j++)
        if (!isfinite(mk.tau[j]) || fabsf(mk.tau[j]) > cfg.limits[j].effort_max) st->invariant_failures++;
      mk.tx_len = 0;
    }
  }
  st->frames_ok = d.frames;
  st->frame_errors = s2r_decoder_error_total(&d);
  st->fw_cmds_ok = fw.cmds_ok;
}
