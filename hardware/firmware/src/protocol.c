/* s2r serial protocol codec. See include/s2r_protocol.h and hardware/PROTOCOL.md. */
#include "s2r_protocol.h"

#include <string.h>

/* CRC-16/CCITT-FALSE, bitwise: 8 shifts per byte is ~20 cycles/byte on a Cortex-M4, and saves a 512-byte table
 * of flash. Check value "123456789" → 0x29B1. */
uint16_t s2r_crc16(const uint8_t *data, size_t len) {
  uint16_t crc = 0xFFFFu;
  size_t i;
  int b;
  for (i = 0; i < len; i++) {
    crc ^= (uint16_t)((uint16_t)data[i] << 8);
    for (b = 0; b < 8; b++) crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
  }
  return crc;
}

/* FNV-1a 32 over each name followed by a 0x00, in joint order. */
uint32_t s2r_names_hash(const char *const *names, unsigned n) {
  uint32_t h = 0x811C9DC5ul;
  unsigned j;
  const unsigned char *p;
  for (j = 0; j < n; j++) {
    for (p = (const unsigned char *)names[j]; *p; p++) h = (h ^ *p) * 0x01000193ul;
    h = (h ^ 0u) * 0x01000193ul;
  }
  return h;
}

size_t s2r_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst) {
  size_t code_idx = 0, out = 1, i;
  uint8_t code = 1;
  for (i = 0; i < len; i++) {
    if (src[i] == 0) {
      dst[code_idx] = code;
      code_idx = out++;
      code = 1;
    } else {
      dst[out++] = src[i];
      code++;
      /* A full block closes without an implied zero; open the next only if bytes remain (canonical form). */
      if (code == 0xFF && i + 1 < len) {
        dst[code_idx] = code;
        code_idx = out++;
        code = 1;
      }
    }
  }
  dst[code_idx] = code;
  return out;
}

int s2r_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap) {
  size_t i = 0, out = 0, run_end;
  uint8_t code;
  while (i < len) {
    code = src[i++];
    if (code == 0) return -2;
    run_end = i + code - 1u;
    if (run_end > len) return -1;
    if (out + (code - 1u) > cap) return -3;
    while (i < run_end) {
      if (src[i] == 0) return -2;
      dst[out++] = src[i++];
    }
    if (code != 0xFF && i < len) {
      if (out >= cap) return -3;
      dst[out++] = 0;
    }
  }
  return (int)out;
}

/* Little-endian scalar access, byte by byte: no alignment or host-endianness assumptions. */
static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void put_f32(uint8_t *p, float f) { uint32_t v; memcpy(&v, &f, 4); put_u32(p, v); }
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static float get_f32(const uint8_t *p) { uint32_t v = get_u32(p); float f; memcpy(&f, &v, 4); return f; }

static size_t body_size(uint8_t type, unsigned n) {
  switch (type) {
    case S2R_MSG_STATE: return 38u + 12u * n;
    case S2R_MSG_COMMAND: return 2u + 20u * n;
    case S2R_MSG_HEARTBEAT: return 4u;
    case S2R_MSG_ESTOP: return 1u;
    case S2R_MSG_RESET: return 4u;
    case S2R_MSG_CONFIG: return 18u + 16u * n;
    case S2R_MSG_CONFIG_REQUEST: return 2u;
    case S2R_MSG_ERROR: return 4u;
    default: return 0u;
  }
}

size_t s2r_write_payload(const s2r_msg_t *m, uint8_t *buf, size_t cap) {
  uint8_t *b = buf + S2R_HEADER_BYTES;
  unsigned j, n = 0;
  size_t len;
  if (m->type == S2R_MSG_STATE) n = m->u.state.n;
  else if (m->type == S2R_MSG_COMMAND) n = m->u.command.n;
  else if (m->type == S2R_MSG_CONFIG) n = m->u.config.n;
  if ((m->type == S2R_MSG_STATE || m->type == S2R_MSG_COMMAND || m->type == S2R_MSG_CONFIG) &&
      (n < 1 || n > S2R_MAX_JOINTS))
    return 0;
  len = body_size(m->type, n);
  if (len == 0 || S2R_HEADER_BYTES + len + S2R_CRC_BYTES > cap) return 0;
  buf[0] = S2R_PROTOCOL_VERSION;
  buf[1] = m->type;
  put_u16(buf + 2, m->seq);
  put_u32(buf + 4, m->time_us);
  switch (m->type) {
    case S2R_MSG_STATE: {
      const s2r_state_t *s = &m->u.state;
      put_u16(b, s->status);
      b[2] = s->mode;
      b[3] = s->n;
      put_u16(b + 4, s->last_cmd_seq);
      put_u32(b + 6, s->cmd_age_us);
      for (j = 0; j < 3; j++) put_f32(b + 10 + 4 * j, s->gyro[j]);
      for (j = 0; j < 4; j++) put_f32(b + 22 + 4 * j, s->quat[j]);
      for (j = 0; j < n; j++) {
        put_f32(b + 38 + 12 * j, s->pos[j]);
        put_f32(b + 42 + 12 * j, s->vel[j]);
        put_f32(b + 46 + 12 * j, s->eff[j]);
      }
      break;
    }
    case S2R_MSG_COMMAND: {
      const s2r_command_t *c = &m->u.command;
      b[0] = c->mode;
      b[1] = c->n;
      for (j = 0; j < n; j++) {
        put_f32(b + 2 + 20 * j, c->pos[j]);
        put_f32(b + 6 + 20 * j, c->vel[j]);
        put_f32(b + 10 + 20 * j, c->tau[j]);
        put_f32(b + 14 + 20 * j, c->kp[j]);
        put_f32(b + 18 + 20 * j, c->kd[j]);
      }
      break;
    }
    case S2R_MSG_HEARTBEAT:
      put_u16(b, m->u.heartbeat.status);
      put_u16(b + 2, m->u.heartbeat.echo_seq);
      break;
    case S2R_MSG_ESTOP: b[0] = m->u.estop.reason; break;
    case S2R_MSG_RESET: put_u32(b, m->u.reset.magic); break;
    case S2R_MSG_CONFIG: {
      const s2r_config_t *c = &m->u.config;
      b[0] = c->n;
      b[1] = c->flags;
      put_u16(b + 2, c->fw_version);
      put_u32(b + 4, c->names_hash);
      put_u16(b + 8, c->control_rate_hz);
      put_u16(b + 10, c->state_rate_hz);
      put_u16(b + 12, c->heartbeat_ms);
      put_u16(b + 14, c->watchdog_ms);
      put_u16(b + 16, c->damp_ms);
      for (j = 0; j < n; j++) {
        put_f32(b + 18 + 16 * j, c->limits[j].pos_min);
        put_f32(b + 22 + 16 * j, c->limits[j].pos_max);
        put_f32(b + 26 + 16 * j, c->limits[j].vel_max);
        put_f32(b + 30 + 16 * j, c->limits[j].effort_max);
      }
      break;
    }
    case S2R_MSG_CONFIG_REQUEST: put_u16(b, m->u.config_request.state_rate_hz); break;
    case S2R_MSG_ERROR:
      b[0] = m->u.error.code;
      b[1] = m->u.error.detail;
      put_u16(b + 2, m->u.error.ref_seq);
      break;
    default: return 0;
  }
  return S2R_HEADER_BYTES + len;
}

size_t s2r_encode_frame(const s2r_msg_t *m, uint8_t *wire, size_t cap) {
  uint8_t raw[S2R_MAX_FRAME];
  size_t len = s2r_write_payload(m, raw, sizeof raw), n;
  uint16_t crc;
  if (len == 0) return 0;
  crc = s2r_crc16(raw, len);
  raw[len] = (uint8_t)crc;
  raw[len + 1] = (uint8_t)(crc >> 8);
  len += 2;
  if (len + len / 254u + 2u > cap) return 0;
  n = s2r_cobs_encode(raw, len, wire);
  wire[n] = 0;
  return n + 1;
}

int s2r_decode_frame(const uint8_t *buf, size_t n, s2r_msg_t *out) {
  const uint8_t *b = buf + S2R_HEADER_BYTES;
  size_t body;
  unsigned j, jn = 0;
  if (n < S2R_MIN_FRAME) return S2R_ERR_TRUNCATED;
  if (get_u16(buf + n - 2) != s2r_crc16(buf, n - 2)) return S2R_ERR_CRC;
  if (buf[0] != S2R_PROTOCOL_VERSION) return S2R_ERR_VERSION;
  body = n - S2R_MIN_FRAME;
  switch (buf[1]) {
    case S2R_MSG_STATE: if (body < 38) return S2R_ERR_LENGTH; jn = b[3]; break;
    case S2R_MSG_COMMAND: if (body < 2) return S2R_ERR_LENGTH; jn = b[1]; break;
    case S2R_MSG_CONFIG: if (body < 18) return S2R_ERR_LENGTH; jn = b[0]; break;
    case S2R_MSG_HEARTBEAT: case S2R_MSG_ESTOP: case S2R_MSG_RESET: case S2R_MSG_CONFIG_REQUEST: case S2R_MSG_ERROR:
      jn = 0;
      break;
    default: return S2R_ERR_TYPE;
  }
  if ((buf[1] == S2R_MSG_STATE || buf[1] == S2R_MSG_COMMAND || buf[1] == S2R_MSG_CONFIG) && (jn < 1 || jn > S2R_MAX_JOINTS))
    return S2R_ERR_LENGTH;
  if (body != body_size(buf[1], jn)) return S2R_ERR_LENGTH;
  out->type = buf[1];
  out->seq = get_u16(buf + 2);
  out->time_us = get_u32(buf + 4);
  switch (buf[1]) {
    case S2R_MSG_STATE: {
      s2r_state_t *s = &out->u.state;
      s->status = get_u16(b);
      s->mode = b[2];
      s->n = (uint8_t)jn;
      s->last_cmd_seq = get_u16(b + 4);
      s->cmd_age_us = get_u32(b + 6);
      for (j = 0; j < 3; j++) s->gyro[j] = get_f32(b + 10 + 4 * j);
      for (j = 0; j < 4; j++) s->quat[j] = get_f32(b + 22 + 4 * j);
      for (j = 0; j < jn; j++) {
        s->pos[j] = get_f32(b + 38 + 12 * j);
        s->vel[j] = get_f32(b + 42 + 12 * j);
        s->eff[j] = get_f32(b + 46 + 12 * j);
      }
      break;
    }
    case S2R_MSG_COMMAND: {
      s2r_command_t *c = &out->u.command;
      c->mode = b[0];
      c->n = (uint8_t)jn;
      for (j = 0; j < jn; j++) {
        c->pos[j] = get_f32(b + 2 + 20 * j);
        c->vel[j] = get_f32(b + 6 + 20 * j);
        c->tau[j] = get_f32(b + 10 + 20 * j);
        c->kp[j] = get_f32(b + 14 + 20 * j);
        c->kd[j] = get_f32(b + 18 + 20 * j);
      }
      break;
    }
    case S2R_MSG_HEARTBEAT:
      out->u.heartbeat.status = get_u16(b);
      out->u.heartbeat.echo_seq = get_u16(b + 2);
      break;
    case S2R_MSG_ESTOP: out->u.estop.reason = b[0]; break;
    case S2R_MSG_RESET: out->u.reset.magic = get_u32(b); break;
    case S2R_MSG_CONFIG: {
      s2r_config_t *c = &out->u.config;
      c->n = (uint8_t)jn;
      c->flags = b[1];
      c->fw_version = get_u16(b + 2);
      c->names_hash = get_u32(b + 4);
      c->control_rate_hz = get_u16(b + 8);
      c->state_rate_hz = get_u16(b + 10);
      c->heartbeat_ms = get_u16(b + 12);
      c->watchdog_ms = get_u16(b + 14);
      c->damp_ms = get_u16(b + 16);
      for (j = 0; j < jn; j++) {
        c->limits[j].pos_min = get_f32(b + 18 + 16 * j);
        c->limits[j].pos_max = get_f32(b + 22 + 16 * j);
        c->limits[j].vel_max = get_f32(b + 26 + 16 * j);
        c->limits[j].effort_max = get_f32(b + 30 + 16 * j);
      }
      break;
    }
    case S2R_MSG_CONFIG_REQUEST: out->u.config_request.state_rate_hz = get_u16(b); break;
    case S2R_MSG_ERROR:
      out->u.error.code = b[0];
      out->u.error.detail = b[1];
      out->u.error.ref_seq = get_u16(b + 2);
      break;
    default: return S2R_ERR_TYPE;
  }
  return S2R_OK;
}

void s2r_decoder_init(s2r_decoder_t *d) { memset(d, 0, sizeof *d); }

void s2r_decoder_unsync(s2r_decoder_t *d) {
  d->len = 0;
  d->overflow = 0;
  d->unsynced = 1;
}

uint32_t s2r_decoder_error_total(const s2r_decoder_t *d) {
  uint32_t s = 0;
  int i;
  for (i = 1; i < S2R_N_FRAME_ERR; i++) s += d->errors[i];
  return s;
}

static int fail(s2r_decoder_t *d, int e) {
  d->errors[e]++;
  d->last_error = (uint8_t)e;
  return -e;
}

int s2r_decoder_push(s2r_decoder_t *d, uint8_t byte, s2r_msg_t *out) {
  int n, r, synced;
  d->bytes++;
  if (byte != 0) {
    if (d->len < S2R_MAX_ENCODED) d->enc[d->len++] = byte;
    else d->overflow = 1;
    return 0;
  }
  /* The first delimiter since the link came up ends bytes that may be the tail of a cut frame: they are delivered
     if they are a valid frame, and otherwise dropped as a sync drop, which is not an error. */
  synced = !d->unsynced;
  d->unsynced = 0;
  if (d->len == 0 && !d->overflow) {
    d->empty++;
    return 0;
  }
  n = d->overflow ? -3 : s2r_cobs_decode(d->enc, d->len, d->dec, sizeof d->dec);
  d->len = 0;
  d->overflow = 0;
  if (n == -3) r = S2R_ERR_OVERSIZE;
  else if (n == -1) r = S2R_ERR_TRUNCATED; /* a code byte promised more bytes than arrived */
  else if (n < 0) r = S2R_ERR_COBS;
  else r = s2r_decode_frame(d->dec, (size_t)n, out);
  if (r == S2R_OK) {
    d->frames++;
    return 1;
  }
  if (!synced) {
    d->sync_drops++;
    return 0;
  }
  return fail(d, r);
}
