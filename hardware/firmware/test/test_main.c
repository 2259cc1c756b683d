/*
 * C unit tests: codec against hardware/protocol-vectors.json (the TS tests read the same file), then the
 * firmware core on a scripted HAL: watchdog, e-stop latch, limits, streaming, link errors; then a short fuzz.
 * Usage: s2r-test <vectors.json> [fuzz_inputs]. Last line: "C: N passed, N failed".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_core.h"
#include "json.h"
#include "mock_hal.h"
#include "s2r_fw.h"

static int passed, failed, case_ok;
static const char *case_name;
#define CASE(name) (case_name = (name), case_ok = 1)
#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      if (case_ok) printf("FAIL %s\n", case_name);                              \
      printf("  %s:%d: %s — ", __FILE__, __LINE__, #cond);                      \
      printf(__VA_ARGS__);                                                      \
      printf("\n");                                                             \
      case_ok = 0;                                                              \
    }                                                                           \
  } while (0)
#define END() (case_ok ? passed++ : failed++)

static char *vec;
static jtok_t tok[200000];

static int unhex(const char *s, const jtok_t *t, int i, uint8_t *out, int cap) {
  int n = (t[i].end - t[i].start) / 2, k;
  unsigned v;
  if (n > cap) return -1;
  for (k = 0; k < n; k++) {
    sscanf(s + t[i].start + 2 * k, "%2x", &v);
    out[k] = (uint8_t)v;
  }
  return n;
}

static int mode_of(const char *m) {
  static const char *names[] = {"zero_torque", "position", "damping", "hold", "estop", "idle"};
  int k;
  for (k = 0; k < 6; k++) if (!strcmp(m, names[k])) return k;
  return -1;
}
static int err_of(const char *e) {
  static const char *names[] = {"ok", "crc", "truncated", "version", "type", "length", "oversize", "cobs"};
  int k;
  for (k = 0; k < 8; k++) if (!strcmp(e, names[k])) return k;
  return -1;
}

static void floats(int arr, float *out) {
  int k;
  for (k = 0; k < tok[arr].size; k++) out[k] = (float)json_num(vec, tok, json_at(tok, arr, k));
}

/* Build the expected message from its JSON form (same field names as the TS Message type). */
static void msg_from_json(int o, s2r_msg_t *m) {
  char type[32], mode[32];
  int k, arr;
  memset(m, 0, sizeof *m);
  json_str(vec, tok, json_get(vec, tok, o, "type"), type, sizeof type);
  m->seq = (uint16_t)json_num(vec, tok, json_get(vec, tok, o, "seq"));
  m->time_us = (uint32_t)json_num(vec, tok, json_get(vec, tok, o, "timeUs"));
#define NUM(key) json_num(vec, tok, json_get(vec, tok, o, key))
  if (!strcmp(type, "state")) {
    s2r_state_t *s = &m->u.state;
    m->type = S2R_MSG_STATE;
    s->status = (uint16_t)NUM("status");
    json_str(vec, tok, json_get(vec, tok, o, "mode"), mode, sizeof mode);
    s->mode = (uint8_t)mode_of(mode);
    s->last_cmd_seq = (uint16_t)NUM("lastCmdSeq");
    s->cmd_age_us = (uint32_t)NUM("cmdAgeUs");
    floats(json_get(vec, tok, o, "gyro"), s->gyro);
    floats(json_get(vec, tok, o, "quat"), s->quat);
    arr = json_get(vec, tok, o, "position");
    s->n = (uint8_t)tok[arr].size;
    floats(arr, s->pos);
    floats(json_get(vec, tok, o, "velocity"), s->vel);
    floats(json_get(vec, tok, o, "effort"), s->eff);
  } else if (!strcmp(type, "command")) {
    s2r_command_t *c = &m->u.command;
    m->type = S2R_MSG_COMMAND;
    json_str(vec, tok, json_get(vec, tok, o, "mode"), mode, sizeof mode);
    c->mode = (uint8_t)mode_of(mode);
    arr = json_get(vec, tok, o, "position");
    c->n = (uint8_t)tok[arr].size;
    floats(arr, c->pos);
    floats(json_get(vec, tok, o, "velocity"), c->vel);
    floats(json_get(vec, tok, o, "effort"), c->tau);
    floats(json_get(vec, tok, o, "kp"), c->kp);
    floats(json_get(vec, tok, o, "kd"), c->kd);
  } else if (!strcmp(type, "heartbeat")) {
    m->type = S2R_MSG_HEARTBEAT;
    m->u.heartbeat.status = (uint16_t)NUM("status");
    m->u.heartbeat.echo_seq = (uint16_t)NUM("echoSeq");
  } else if (!strcmp(type, "estop")) {
    m->type = S2R_MSG_ESTOP;
    m->u.estop.reason = (uint8_t)NUM("reason");
  } else if (!strcmp(type, "reset")) {
    m->type = S2R_MSG_RESET;
    m->u.reset.magic = S2R_RESET_MAGIC;
  } else if (!strcmp(type, "config_request")) {
    m->type = S2R_MSG_CONFIG_REQUEST;
    m->u.config_request.state_rate_hz = (uint16_t)NUM("stateRateHz");
  } else if (!strcmp(type, "error")) {
    m->type = S2R_MSG_ERROR;
    m->u.error.code = (uint8_t)NUM("code");
    m->u.error.detail = (uint8_t)NUM("detail");
    m->u.error.ref_seq = (uint16_t)NUM("refSeq");
  } else if (!strcmp(type, "config")) {
    s2r_config_t *c = &m->u.config;
    m->type = S2R_MSG_CONFIG;
    c->flags = (uint8_t)NUM("flags");
    c->fw_version = (uint16_t)NUM("fwVersion");
    c->names_hash = (uint32_t)NUM("namesHash");
    c->control_rate_hz = (uint16_t)NUM("controlRateHz");
    c->state_rate_hz = (uint16_t)NUM("stateRateHz");
    c->heartbeat_ms = (uint16_t)NUM("heartbeatMs");
    c->watchdog_ms = (uint16_t)NUM("watchdogMs");
    c->damp_ms = (uint16_t)NUM("dampMs");
    arr = json_get(vec, tok, o, "limits");
    c->n = (uint8_t)tok[arr].size;
    for (k = 0; k < c->n; k++) {
      int l = json_at(tok, arr, k);
      c->limits[k].pos_min = (float)json_num(vec, tok, json_get(vec, tok, l, "posMin"));
      c->limits[k].pos_max = (float)json_num(vec, tok, json_get(vec, tok, l, "posMax"));
      c->limits[k].vel_max = (float)json_num(vec, tok, json_get(vec, tok, l, "velMax"));
      c->limits[k].effort_max = (float)json_num(vec, tok, json_get(vec, tok, l, "effortMax"));
    }
  }
#undef NUM
}

/* Field-wise equality (the union's unused bytes are not compared). */
static int msg_equal(const s2r_msg_t *a, const s2r_msg_t *b) {
  unsigned j;
  if (a->type != b->type || a->seq != b->seq || a->time_us != b->time_us) return 0;
  switch (a->type) {
    case S2R_MSG_STATE: {
      const s2r_state_t *x = &a->u.state, *y = &b->u.state;
      if (x->status != y->status || x->mode != y->mode || x->n != y->n || x->last_cmd_seq != y->last_cmd_seq ||
          x->cmd_age_us != y->cmd_age_us || memcmp(x->gyro, y->gyro, 12) || memcmp(x->quat, y->quat, 16))
        return 0;
      for (j = 0; j < x->n; j++) if (x->pos[j] != y->pos[j] || x->vel[j] != y->vel[j] || x->eff[j] != y->eff[j]) return 0;
      return 1;
    }
    case S2R_MSG_COMMAND: {
      const s2r_command_t *x = &a->u.command, *y = &b->u.command;
      if (x->mode != y->mode || x->n != y->n) return 0;
      for (j = 0; j < x->n; j++)
        if (x->pos[j] != y->pos[j] || x->vel[j] != y->vel[j] || x->tau[j] != y->tau[j] || x->kp[j] != y->kp[j] || x->kd[j] != y->kd[j]) return 0;
      return 1;
    }
    case S2R_MSG_HEARTBEAT: return a->u.heartbeat.status == b->u.heartbeat.status && a->u.heartbeat.echo_seq == b->u.heartbeat.echo_seq;
    case S2R_MSG_ESTOP: return a->u.estop.reason == b->u.estop.reason;
    case S2R_MSG_RESET: return a->u.reset.magic == b->u.reset.magic;
    case S2R_MSG_CONFIG_REQUEST: return a->u.config_request.state_rate_hz == b->u.config_request.state_rate_hz;
    case S2R_MSG_ERROR: return a->u.error.code == b->u.error.code && a->u.error.detail == b->u.error.detail && a->u.error.ref_seq == b->u.error.ref_seq;
    case S2R_MSG_CONFIG: {
      const s2r_config_t *x = &a->u.config, *y = &b->u.config;
      if (x->n != y->n || x->flags != y->flags || x->fw_version != y->fw_version || x->names_hash != y->names_hash ||
          x->control_rate_hz != y->control_rate_hz || x->state_rate_hz != y->state_rate_hz ||
          x->heartbeat_ms != y->heartbeat_ms || x->watchdog_ms != y->watchdog_ms || x->damp_ms != y->damp_ms)
        return 0;
      return !memcmp(x->limits, y->limits, x->n * sizeof(s2r_limits_t));
    }
  }
  return 0;
}

static void test_vectors(const char *path) {
  FILE *f = fopen(path, "rb");
  long len;
  int ntok, sec, k, i;
  static uint8_t a[4096], b[4096], c[4096];
  static s2r_decoder_t d;
  static s2r_msg_t got, want;
  CASE("vectors file readable");
  CHECK(f != NULL, "cannot open %s", path);
  if (!f) { END(); return; }
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  vec = malloc((size_t)len + 1); /* test harness only; the firmware itself never allocates */
  CHECK(fread(vec, 1, (size_t)len, f) == (size_t)len, "short read");
  fclose(f);
  ntok = json_parse(vec, (int)len, tok, (int)(sizeof tok / sizeof tok[0]));
  CHECK(ntok > 0, "JSON parse failed");
  CHECK(json_num(vec, tok, json_get(vec, tok, 0, "protocol_version")) == S2R_PROTOCOL_VERSION, "version mismatch");
  CHECK(json_num(vec, tok, json_get(vec, tok, 0, "reset_magic")) == (double)S2R_RESET_MAGIC, "reset magic mismatch");
  END();
  if (ntok <= 0) return;

  sec = json_get(vec, tok, 0, "crc16_ccitt_false");
  for (k = 0; k < tok[sec].size; k++) {
    int v = json_at(tok, sec, k);
    char s[64];
    json_str(vec, tok, json_get(vec, tok, v, "ascii"), s, sizeof s);
    CASE("crc16 vector");
    CHECK(s2r_crc16((const uint8_t *)s, strlen(s)) == (uint16_t)json_num(vec, tok, json_get(vec, tok, v, "crc")), "crc16(\"%s\")", s);
    END();
  }
  sec = json_get(vec, tok, 0, "cobs");
  for (k = 0; k < tok[sec].size; k++) {
    int v = json_at(tok, sec, k), na, nb, n;
    na = unhex(vec, tok, json_get(vec, tok, v, "decoded"), a, sizeof a);
    nb = unhex(vec, tok, json_get(vec, tok, v, "encoded"), b, sizeof b);
    CASE("cobs vector");
    n = (int)s2r_cobs_encode(a, (size_t)na, c);
    CHECK(n == nb && !memcmp(b, c, (size_t)n), "encode #%d: %d bytes, want %d", k, n, nb);
    n = s2r_cobs_decode(b, (size_t)nb, c, sizeof c);
    CHECK(n == na && !memcmp(a, c, (size_t)n), "decode #%d: %d bytes, want %d", k, n, na);
    END();
  }
  sec = json_get(vec, tok, 0, "names_hash");
  for (k = 0; k < tok[sec].size; k++) {
    int v = json_at(tok, sec, k), arr = json_get(vec, tok, v, "names"), j;
    static char buf[16][64];
    const char *ptrs[16];
    for (j = 0; j < tok[arr].size; j++) { json_str(vec, tok, json_at(tok, arr, j), buf[j], 64); ptrs[j] = buf[j]; }
    CASE("names hash vector");
    CHECK(s2r_names_hash(ptrs, (unsigned)tok[arr].size) == (uint32_t)json_num(vec, tok, json_get(vec, tok, v, "hash")), "#%d", k);
    END();
  }

  sec = json_get(vec, tok, 0, "frames");
  for (k = 0; k < tok[sec].size; k++) {
    int v = json_at(tok, sec, k), n, hits = 0;
    char name[64];
    json_str(vec, tok, json_get(vec, tok, v, "name"), name, sizeof name);
    n = unhex(vec, tok, json_get(vec, tok, v, "wire"), a, sizeof a);
    msg_from_json(json_get(vec, tok, v, "message"), &want);
    CASE(name);
    s2r_decoder_init(&d);
    for (i = 0; i < n; i++) if (s2r_decoder_push(&d, a[i], &got) == 1) hits++;
    CHECK(hits == 1 && s2r_decoder_error_total(&d) == 0, "%s: %d messages, %u errors", name, hits, s2r_decoder_error_total(&d));
    CHECK(hits == 1 && msg_equal(&got, &want), "%s: decoded fields differ from the vector", name);
    i = (int)s2r_encode_frame(&want, b, sizeof b);
    CHECK(i == n && !memcmp(a, b, (size_t)n), "%s: encoded %d bytes differ from the %d wire bytes", name, i, n);
    END();
  }
  if (tok[sec].size >= 2) {
    /* Sync: after s2r_decoder_unsync() (the link came up mid-stream) the tail of a cut frame is a sync drop, not
       an error, and the next frame decodes; once synced, the same garbage is an error again. */
    int na = unhex(vec, tok, json_get(vec, tok, json_at(tok, sec, 0), "wire"), b, sizeof b);
    int nb = unhex(vec, tok, json_get(vec, tok, json_at(tok, sec, 1), "wire"), c, sizeof c);
    int cut, bad = 0;
    msg_from_json(json_get(vec, tok, json_at(tok, sec, 1), "message"), &want);
    CASE("unsynced start: a cut frame is a sync drop, not an error");
    for (cut = 1; cut < na - 1; cut++) {
      int hits = 0, last_ok = 0;
      s2r_decoder_init(&d);
      s2r_decoder_unsync(&d);
      for (i = cut; i < na; i++) if (s2r_decoder_push(&d, b[i], &got) == 1) hits++;
      for (i = 0; i < nb; i++) if (s2r_decoder_push(&d, c[i], &got) == 1) { hits++; last_ok = msg_equal(&got, &want); }
      if (s2r_decoder_error_total(&d) != 0 || d.sync_drops + (uint32_t)hits != 2 || !last_ok) bad++;
    }
    CHECK(bad == 0, "%d of %d cut positions gave errors or lost the next frame", bad, na - 2);
    s2r_decoder_init(&d);
    s2r_decoder_unsync(&d);
    for (i = 0; i < na; i++) (void)s2r_decoder_push(&d, b[i], &got); /* a whole first frame is still delivered */
    CHECK(d.frames == 1 && d.sync_drops == 0, "whole first frame: %u frames, %u sync drops", d.frames, d.sync_drops);
    {
      static const uint8_t junk[] = {1, 2, 3, 0, 1, 2, 3, 0};
      s2r_decoder_init(&d);
      s2r_decoder_unsync(&d);
      for (i = 0; i < (int)sizeof junk; i++) (void)s2r_decoder_push(&d, junk[i], &got);
      CHECK(d.sync_drops == 1 && s2r_decoder_error_total(&d) == 1, "junk twice: %u sync drops, %u errors", d.sync_drops, s2r_decoder_error_total(&d));
    }
    END();
  }
  sec = json_get(vec, tok, 0, "bad_frames");
  for (k = 0; k < tok[sec].size; k++) {
    int v = json_at(tok, sec, k), n, r, hits = 0, last = 0;
    char name[64], cls[32];
    json_str(vec, tok, json_get(vec, tok, v, "name"), name, sizeof name);
    json_str(vec, tok, json_get(vec, tok, v, "expect"), cls, sizeof cls);
    n = unhex(vec, tok, json_get(vec, tok, v, "wire"), a, sizeof a);
    CASE(name);
    s2r_decoder_init(&d);
    for (i = 0; i < n; i++) {
      r = s2r_decoder_push(&d, a[i], &got);
      if (r == 1) hits++;
      if (r < 0) last = -r;
    }
    CHECK(hits == 0 && s2r_decoder_error_total(&d) == 1 && last == err_of(cls) && d.errors[err_of(cls)] == 1,
          "%s: want one '%s' error, got %d messages, %u errors, last class %d", name, cls, hits, s2r_decoder_error_total(&d), last);
    END();
  }
  sec = json_get(vec, tok, 0, "streams");
  for (k = 0; k < tok[sec].size; k++) {
    int v = json_at(tok, sec, k), n, cnt = json_get(vec, tok, v, "expect_counts"), e;
    CASE("stream vector");
    n = unhex(vec, tok, json_get(vec, tok, v, "wire"), a, sizeof a);
    s2r_decoder_init(&d);
    for (i = 0; i < n; i++) (void)s2r_decoder_push(&d, a[i], &got);
    CHECK(d.frames == (uint32_t)json_num(vec, tok, json_get(vec, tok, cnt, "frames")), "frames %u", d.frames);
    CHECK(d.empty == (uint32_t)json_num(vec, tok, json_get(vec, tok, cnt, "empty")), "empty %u", d.empty);
    for (e = 1; e < 8; e++) {
      static const char *names[] = {"ok", "crc", "truncated", "version", "type", "length", "oversize", "cobs"};
      CHECK(d.errors[e] == (uint32_t)json_num(vec, tok, json_get(vec, tok, cnt, names[e])), "%s: %u", names[e], d.errors[e]);
    }
    END();
  }
}

/* ---- firmware core on the mock HAL ---- */

static s2r_fw_t fw;
static mock_t mk;
static s2r_hal_t hal;
static s2r_fw_config_t cfg;
static mock_rx_t rx;
static uint16_t host_seq;

static void boot(uint16_t state_rate) {
  static const char *names[] = {"j0", "j1", "j2"};
  mock_hal_init(&hal, &mk);
  s2r_fw_default_config(&cfg, 3);
  cfg.names_hash = s2r_names_hash(names, 3);
  cfg.state_rate_hz = state_rate;
  cfg.limits[0].pos_min = -1.0f;
  cfg.limits[0].pos_max = 1.0f;
  cfg.limits[0].vel_max = 10.0f;
  cfg.limits[0].effort_max = 20.0f;
  s2r_fw_init(&fw, &cfg, &hal);
  mk.now_us = 1000000u;
}
static void tick(int n) {
  while (n-- > 0) {
    mk.now_us += 1000u;
    s2r_fw_tick(&fw);
  }
}
static void host_send(const s2r_msg_t *m) {
  static uint8_t w[600];
  size_t n = s2r_encode_frame(m, w, sizeof w);
  s2r_fw_rx(&fw, w, n);
}
static void send_cmd(uint8_t mode, float pos0, float kp, float kd) {
  static s2r_msg_t m;
  unsigned j;
  memset(&m, 0, sizeof m);
  m.type = S2R_MSG_COMMAND;
  m.seq = host_seq++;
  m.u.command.mode = mode;
  m.u.command.n = 3;
  for (j = 0; j < 3; j++) { m.u.command.kp[j] = kp; m.u.command.kd[j] = kd; }
  m.u.command.pos[0] = pos0;
  host_send(&m);
}
static void send_simple(uint8_t type, uint32_t magic) {
  static s2r_msg_t m;
  memset(&m, 0, sizeof m);
  m.type = type;
  m.seq = host_seq++;
  m.u.reset.magic = magic;
  host_send(&m);
}
static uint16_t last_status(void) {
  mock_drain(&mk, &rx);
  return rx.last[S2R_MSG_STATE].u.state.status;
}

static void test_boot_and_config(void) {
  CASE("boot: CONFIG announced, idle = damping");
  boot(500);
  mk.dq[0] = 2.0f;
  tick(2);
  mock_drain(&mk, &rx);
  CHECK(rx.n[S2R_MSG_CONFIG] == 1, "%d configs", rx.n[S2R_MSG_CONFIG]);
  CHECK(rx.last[S2R_MSG_CONFIG & 7].u.config.names_hash == cfg.names_hash && rx.last[6].u.config.n == 3, "config content");
  CHECK(rx.last[6].u.config.watchdog_ms == 50 && rx.last[6].u.config.limits[0].pos_max == 1.0f, "config limits/timeouts");
  CHECK(fw.mode == S2R_MODE_IDLE, "mode %d", fw.mode);
  CHECK(rx.last[1].u.state.status & S2R_ST_DAMPING, "DAMPING flag");
  CHECK(fabsf(mk.tau[0] - (-cfg.damping_kd * 2.0f)) < 1e-6f, "idle damping torque %f", mk.tau[0]);
  END();

  CASE("config_request changes the state rate and is answered");
  {
    static s2r_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = S2R_MSG_CONFIG_REQUEST;
    m.u.config_request.state_rate_hz = 250;
    host_send(&m);
    mock_drain(&mk, &rx);
    CHECK(rx.n[S2R_MSG_CONFIG] == 1 && rx.last[6].u.config.state_rate_hz == 250, "config reply");
    tick(1000);
    mock_drain(&mk, &rx);
    CHECK(rx.n[S2R_MSG_STATE] == 250, "%d states in 1 s at 250 Hz", rx.n[S2R_MSG_STATE]);
    CHECK(rx.n[S2R_MSG_HEARTBEAT] == 10, "%d heartbeats in 1 s at 100 ms", rx.n[S2R_MSG_HEARTBEAT]);
  }
  END();

  CASE("heartbeat is echoed");
  {
    static s2r_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = S2R_MSG_HEARTBEAT;
    m.seq = 777;
    host_send(&m);
    mock_drain(&mk, &rx);
    CHECK(rx.n[S2R_MSG_HEARTBEAT] == 1 && rx.last[3].u.heartbeat.echo_seq == 777, "echo");
  }
  END();

  CASE("reply mode: state_rate 0 sends one state per command");
  boot(0);
  tick(10);
  mock_drain(&mk, &rx);
  CHECK(rx.n[S2R_MSG_STATE] == 0, "%d states without commands", rx.n[S2R_MSG_STATE]);
  send_cmd(S2R_MODE_POSITION, 0.1f, 10, 0.5f);
  mock_drain(&mk, &rx);
  CHECK(rx.n[S2R_MSG_STATE] == 1 && rx.last[1].u.state.last_cmd_seq == (uint16_t)(host_seq - 1), "one state echoing the seq");
  CHECK(rx.last[1].u.state.cmd_age_us == 0, "cmd age %u", rx.last[1].u.state.cmd_age_us);
  END();
}

static void test_pd_and_limits(void) {
  CASE("PD law in position mode");
  boot(1000);
  mk.q[1] = 0.25f;
  mk.dq[1] = 1.0f;
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  tick(1);
  CHECK(fw.mode == S2R_MODE_POSITION, "mode %d", fw.mode);
  CHECK(fabsf(mk.tau[0] - 10.0f) < 1e-5f, "tau0 %f want 20*(0.5-0)", mk.tau[0]);
  CHECK(fabsf(mk.tau[1] - (20 * (0 - 0.25f) + 0.5f * (0 - 1.0f))) < 1e-5f, "tau1 %f", mk.tau[1]);
  CHECK(last_status() & S2R_ST_ACTIVE, "ACTIVE flag");
  END();

  CASE("position limit: target clamped into [pos_min, pos_max]");
  send_cmd(S2R_MODE_POSITION, 5.0f, 10, 0);
  tick(1);
  CHECK(fabsf(mk.tau[0] - 10.0f) < 1e-5f, "tau0 %f want 10*(1-0)", mk.tau[0]);
  CHECK(last_status() & S2R_ST_LIMIT, "LIMIT flag");
  tick(1);
  mk.tx_len = 0;
  END();

  CASE("effort limit clamps the torque");
  send_cmd(S2R_MODE_POSITION, 1.0f, 100, 0);
  tick(1);
  CHECK(mk.tau[0] == 20.0f, "tau0 %f want effort_max 20", mk.tau[0]);
  CHECK(last_status() & S2R_ST_LIMIT, "LIMIT flag");
  END();

  CASE("velocity limit: no torque pushing faster beyond vel_max");
  mk.dq[0] = 12.0f; /* vel_max 10 */
  send_cmd(S2R_MODE_POSITION, 1.0f, 10, 0);
  tick(1);
  CHECK(mk.tau[0] == 0.0f, "tau0 %f", mk.tau[0]);
  mk.dq[0] = 0.0f;
  mk.q[0] = 1.5f; /* beyond pos_max: feed-forward pushing out is dropped */
  {
    static s2r_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = S2R_MSG_COMMAND;
    m.u.command.mode = S2R_MODE_POSITION;
    m.u.command.n = 3;
    m.u.command.pos[0] = 1.0f;
    m.u.command.tau[0] = 5.0f;
    host_send(&m);
  }
  tick(1);
  CHECK(mk.tau[0] == 0.0f, "tau0 %f beyond pos_max with outward feed-forward", mk.tau[0]);
  mk.q[0] = 0;
  END();

  CASE("NaN / negative gains / wrong joint count / bad mode are rejected and do not feed the watchdog");
  boot(1000);
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  tick(1);
  {
    uint32_t ok = fw.cmds_ok, t_cmd = fw.last_cmd_us;
    static s2r_msg_t m;
    send_cmd(S2R_MODE_POSITION, NAN, 20, 0.5f);
    send_cmd(S2R_MODE_POSITION, 0.1f, 20, -1.0f);
    send_cmd(S2R_MODE_POSITION, INFINITY, 20, 0.5f);
    send_cmd(S2R_MODE_HOLD, 0.1f, 20, 0.5f);
    memset(&m, 0, sizeof m);
    m.type = S2R_MSG_COMMAND;
    m.u.command.mode = 1;
    m.u.command.n = 2;
    host_send(&m);
    CHECK(fw.cmds_ok == ok && fw.cmds_rejected == 5, "ok %u rejected %u", fw.cmds_ok, fw.cmds_rejected);
    CHECK(fw.last_cmd_us == t_cmd, "watchdog was fed by a rejected command");
    CHECK(fw.cmd.pos[0] == 0.5f, "target changed to %f", fw.cmd.pos[0]);
    tick(1);
    mock_drain(&mk, &rx);
    CHECK(rx.n[S2R_MSG_ERROR] == 1 && rx.last_error.u.error.code == S2R_ERR_JOINT_COUNT, "one ERROR per tick, latest wins (code %d)", rx.last_error.u.error.code);
    CHECK(rx.last[1].u.state.status & S2R_ST_REJECTED, "REJECTED flag");
  }
  END();
}

static void test_watchdog(void) {
  int k, first_damp = -1;
  CASE("watchdog: no command for watchdog_ms → damping, then hold after damp_ms");
  boot(1000);
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  for (k = 1; k <= 60; k++) {
    tick(1);
    if (first_damp < 0 && fw.mode == S2R_MODE_DAMPING) first_damp = k;
  }
  CHECK(first_damp == cfg.watchdog_ms + 1, "damping after %d ms, watchdog %u ms", first_damp, cfg.watchdog_ms);
  mock_drain(&mk, &rx);
  CHECK((rx.last[1].u.state.status & (S2R_ST_WATCHDOG | S2R_ST_DAMPING)) == (S2R_ST_WATCHDOG | S2R_ST_DAMPING), "flags 0x%x", rx.last[1].u.state.status);
  CHECK(!(rx.last[1].u.state.status & S2R_ST_ACTIVE), "still ACTIVE");
  CHECK(rx.last[1].u.state.cmd_age_us >= 50000u, "cmd age %u", rx.last[1].u.state.cmd_age_us);
  mk.dq[0] = -3.0f;
  tick(1);
  CHECK(fabsf(mk.tau[0] - 3.0f * cfg.damping_kd) < 1e-5f, "damping torque %f", mk.tau[0]);
  mk.dq[0] = 0;
  mk.q[0] = 0.3f;
  tick(cfg.damp_ms);
  CHECK(fw.mode == S2R_MODE_HOLD, "mode %d after damp_ms", fw.mode);
  CHECK(last_status() & S2R_ST_HOLD, "HOLD flag");
  mk.q[0] = 0.4f;
  tick(1);
  CHECK(fabsf(mk.tau[0] - cfg.hold_kp * (0.3f - 0.4f)) < 1e-4f, "hold torque %f pulls back to the pose at hold entry", mk.tau[0]);
  END();

  CASE("watchdog: a valid command resumes; heartbeats do not");
  {
    static s2r_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = S2R_MSG_HEARTBEAT;
    host_send(&m);
    tick(1);
    CHECK(fw.mode == S2R_MODE_HOLD, "heartbeat changed mode to %d", fw.mode);
  }
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  tick(1);
  CHECK(fw.mode == S2R_MODE_POSITION && !fw.watchdog, "mode %d", fw.mode);
  CHECK(last_status() & S2R_ST_ACTIVE, "ACTIVE again");
  END();

  CASE("watchdog survives u32 µs wrap-around");
  boot(1000);
  mk.now_us = 0xFFFFFFFFu - 10000u;
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  tick(30);
  CHECK(fw.mode == S2R_MODE_POSITION, "mode %d 30 ms after the command, across the wrap", fw.mode);
  tick(30);
  CHECK(fw.mode == S2R_MODE_DAMPING, "mode %d 60 ms after", fw.mode);
  END();
}

static void test_estop(void) {
  CASE("e-stop latches; commands rejected; only RESET (with magic) clears it");
  boot(1000);
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  tick(1);
  send_simple(S2R_MSG_ESTOP, 0);
  mk.dq[2] = 1.0f;
  tick(1);
  CHECK(fw.mode == S2R_MODE_ESTOP, "mode %d", fw.mode);
  CHECK(fabsf(mk.tau[2] + cfg.damping_kd) < 1e-6f && mk.tau[0] == 0.0f, "e-stop torque is damping (%f, %f)", mk.tau[0], mk.tau[2]);
  CHECK((last_status() & (S2R_ST_ESTOP | S2R_ST_DAMPING)) == (S2R_ST_ESTOP | S2R_ST_DAMPING), "flags");
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  tick(1);
  CHECK(fw.mode == S2R_MODE_ESTOP, "a command cleared the e-stop");
  mock_drain(&mk, &rx);
  CHECK(rx.last_error.u.error.code == S2R_ERR_ESTOPPED, "error %d", rx.last_error.u.error.code);
  tick(2000); /* watchdog time passes: still e-stop, not hold */
  CHECK(fw.mode == S2R_MODE_ESTOP, "mode %d after 2 s", fw.mode);
  send_simple(S2R_MSG_RESET, 0x12345678u);
  tick(1);
  CHECK(fw.mode == S2R_MODE_ESTOP, "RESET with a bad magic cleared the e-stop");
  mock_drain(&mk, &rx);
  CHECK(rx.last_error.u.error.code == S2R_ERR_BAD_MAGIC, "error %d", rx.last_error.u.error.code);
  send_simple(S2R_MSG_RESET, S2R_RESET_MAGIC);
  tick(1);
  CHECK(fw.mode == S2R_MODE_IDLE && !fw.estop, "after RESET mode %d", fw.mode);
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  tick(1);
  CHECK(fw.mode == S2R_MODE_POSITION, "command after reset: mode %d", fw.mode);
  END();
}

static void test_link(void) {
  int k;
  CASE("garbage on the link: counted, flagged, the loop keeps going");
  boot(1000);
  send_cmd(S2R_MODE_POSITION, 0.5f, 20, 0.5f);
  {
    uint8_t junk[300];
    unsigned segments = 0, run = 0;
    for (k = 0; k < 300; k++) junk[k] = (uint8_t)(k * 37 + 11);
    junk[100] = 0;
    junk[299] = 0;
    for (k = 0; k < 300; k++) {
      if (junk[k] == 0) { segments += run > 0; run = 0; }
      else run++;
    }
    s2r_fw_rx(&fw, junk, sizeof junk);
    CHECK(segments >= 2 && s2r_decoder_error_total(&fw.dec) == segments, "%u errors for %u garbage frames", s2r_decoder_error_total(&fw.dec), segments);
  }
  tick(1);
  CHECK(last_status() & S2R_ST_LINK_ERROR, "LINK_ERROR flag");
  send_cmd(S2R_MODE_POSITION, 0.25f, 20, 0.5f);
  tick(1);
  CHECK(fw.cmd.pos[0] == 0.25f && fw.mode == S2R_MODE_POSITION, "a valid command after garbage is applied");
  END();

  CASE("link full: frames dropped whole and counted, control continues");
  mk.tx_full = 1;
  tick(10);
  CHECK(fw.tx_dropped >= 10, "dropped %u", fw.tx_dropped);
  CHECK(fw.mode == S2R_MODE_POSITION, "mode %d", fw.mode);
  mk.tx_full = 0;
  END();

  CASE("overrun: a late tick raises OVERRUN");
  mk.now_us += 5000;
  tick(1);
  CHECK(last_status() & S2R_ST_OVERRUN, "OVERRUN flag");
  CHECK(fw.overruns == 1, "overruns %u", fw.overruns);
  END();
}

/* A host that does not read for a while (a bridge still starting; a board streaming before anyone opened the port). */
static void test_backlog(void) {
  static s2r_msg_t bad;
  uint32_t limit = 4u * s2r_state_wire_bytes(3), peak = 0, skipped;
  int k, states = 0, hbs = 0, rejected_flag = 0, gaps = 0, badf = 0;

  CASE("state wire size bound: a real 3- and 16-joint STATE fits s2r_state_wire_bytes");
  {
    static s2r_msg_t m;
    static uint8_t w[S2R_MAX_ENCODED + 1];
    unsigned n;
    for (n = 3; n <= 16; n += 13) {
      memset(&m, 0xFF, sizeof m); /* no zero bytes: COBS adds the fewest code bytes, the frame is the longest */
      m.type = S2R_MSG_STATE;
      m.u.state.n = (uint8_t)n;
      k = (int)s2r_encode_frame(&m, w, sizeof w);
      CHECK(k > 0 && (uint32_t)k <= s2r_state_wire_bytes(n) && (uint32_t)k + 2u >= s2r_state_wire_bytes(n),
            "n=%u: encoded %d, bound %u", n, k, s2r_state_wire_bytes(n));
    }
  }
  END();

  CASE("host not reading for 10 s: at most 4 states queue up; skipped ones counted, no seq consumed");
  boot(500);
  mk.tx_cap = 65536; /* the emulator's TX ring; nothing drains it */
  for (k = 0; k < 10000; k++) {
    tick(1);
    if (mk.tx_len > peak) peak = (uint32_t)mk.tx_len;
  }
  CHECK(peak <= limit && peak + s2r_state_wire_bytes(3) > limit, "backlog peak %u B, cap %u B", peak, limit);
  CHECK(fw.tx_dropped == 0, "%u frames refused by the link", fw.tx_dropped);
  CHECK(fw.states_sent <= 4 && fw.states_sent + fw.states_skipped == 5000, "%u sent + %u skipped of 5000 states",
        fw.states_sent, fw.states_skipped);
  CHECK(fw.heartbeats_skipped >= 90, "%u heartbeats skipped of 100", fw.heartbeats_skipped);
  END();

  CASE("...then CONFIG_REQUEST and a bad command: CONFIG and ERROR are answered at once behind the stale states");
  memset(&bad, 0, sizeof bad);
  bad.type = S2R_MSG_CONFIG_REQUEST;
  bad.seq = host_seq++;
  host_send(&bad);
  memset(&bad, 0, sizeof bad);
  bad.type = S2R_MSG_COMMAND;
  bad.seq = host_seq++;
  bad.u.command.n = 2; /* the device has 3 joints */
  host_send(&bad);
  skipped = fw.states_skipped;
  tick(2); /* tick 10002 is a state tick: skipped again, the backlog is still full */
  CHECK(fw.states_skipped == skipped + 1, "skipped %u more states", fw.states_skipped - skipped);
  mock_drain(&mk, &rx);
  CHECK(rx.n[S2R_MSG_CONFIG] == 2, "%d CONFIGs (boot + reply)", rx.n[S2R_MSG_CONFIG]);
  CHECK(rx.n[S2R_MSG_ERROR] == 1 && rx.last_error.u.error.code == S2R_ERR_JOINT_COUNT && rx.last_error.u.error.detail == 2,
        "%d ERRORs, code %u", rx.n[S2R_MSG_ERROR], rx.last_error.u.error.code);
  CHECK(rx.n[S2R_MSG_STATE] <= 4 && rx.bad == 0 && rx.seq_gaps == 0 && fw.tx_dropped == 0,
        "%d stale states, %d bad frames, %d seq gaps, %u dropped", rx.n[S2R_MSG_STATE], rx.bad, rx.seq_gaps, fw.tx_dropped);
  END();

  CASE("...host reads again: 500 Hz states resume; the first carries REJECTED from while states were skipped");
  skipped = fw.states_skipped;
  for (k = 0; k < 1000; k++) {
    tick(1);
    mock_drain(&mk, &rx);
    if (rx.n[S2R_MSG_STATE] && states++ == 0) rejected_flag = (rx.last[1].u.state.status & S2R_ST_REJECTED) != 0;
    hbs += rx.n[S2R_MSG_HEARTBEAT];
    gaps += rx.seq_gaps;
    badf += rx.bad;
  }
  CHECK(states == 500 && hbs == 10 && fw.states_skipped == skipped, "%d states, %d heartbeats, %u more skipped in 1 s",
        states, hbs, fw.states_skipped - skipped);
  CHECK(rejected_flag, "first state after the stall lacks REJECTED");
  CHECK(gaps == 0 && badf == 0, "%d seq gaps, %d bad frames", gaps, badf);
  END();

  CASE("cap off (stream_backlog_states 0): the ring fills with states and refuses the CONFIG reply (the failure the cap prevents)");
  mock_hal_init(&hal, &mk);
  cfg.stream_backlog_states = 0;
  s2r_fw_init(&fw, &cfg, &hal);
  mk.tx_cap = 65536;
  tick(10000);
  memset(&bad, 0, sizeof bad);
  bad.type = S2R_MSG_CONFIG_REQUEST;
  host_send(&bad);
  mock_drain(&mk, &rx);
  CHECK(rx.n[S2R_MSG_CONFIG] == 1 && fw.tx_dropped > 0 && fw.states_skipped == 0,
        "%d CONFIGs (only the boot one expected), %u dropped", rx.n[S2R_MSG_CONFIG], fw.tx_dropped);
  END();
}

static void test_fuzz(uint64_t n) {
  fuzz_stats_t st;
  CASE("fuzz: decoder + firmware invariants");
  fuzz_run(n, 12345, &st);
  CHECK(st.inputs == n && st.invariant_failures == 0, "%llu invariant failures", (unsigned long long)st.invariant_failures);
  CHECK(st.frames_ok > 0 && st.frame_errors > 0 && st.fw_cmds_ok > 0, "coverage: ok %llu err %llu cmds %llu",
        (unsigned long long)st.frames_ok, (unsigned long long)st.frame_errors, (unsigned long long)st.fw_cmds_ok);
  printf("fuzz: %llu inputs, %llu valid frames, %llu bad frames counted, %llu commands applied\n", (unsigned long long)st.inputs,
         (unsigned long long)st.frames_ok, (unsigned long long)st.frame_errors, (unsigned long long)st.fw_cmds_ok);
  END();
}

int main(int argc, char **argv) {
  test_vectors(argc > 1 ? argv[1] : "../protocol-vectors.json");
  test_boot_and_config();
  test_pd_and_limits();
  test_watchdog();
  test_estop();
  test_link();
  test_backlog();
  test_fuzz(argc > 2 ? strtoull(argv[2], NULL, 10) : 20000);
  free(vec);
  printf("C: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
