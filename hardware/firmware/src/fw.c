/* Firmware core. See include/s2r_fw.h. Units: rad, rad/s, N·m, µs. */
#include "s2r_fw.h"

#include <math.h>
#include <string.h>

static const char *const MODE_NAMES[] = {"zero_torque", "position", "damping", "hold", "estop", "idle"};

const char *s2r_mode_name(uint8_t mode) { return mode < 6 ? MODE_NAMES[mode] : "unknown"; }

void s2r_fw_default_config(s2r_fw_config_t *cfg, uint8_t n) {
  unsigned j;
  memset(cfg, 0, sizeof *cfg);
  cfg->n = n;
  for (j = 0; j < S2R_MAX_JOINTS; j++) {
    cfg->limits[j].pos_min = -3.0f;
    cfg->limits[j].pos_max = 3.0f;
    cfg->limits[j].vel_max = 30.0f;    /* rad/s: Go1-class joint motors top out near 30 */
    cfg->limits[j].effort_max = 33.5f; /* N·m: Go1 knee peak torque */
  }
  cfg->control_rate_hz = 1000;
  cfg->state_rate_hz = 500;
  cfg->heartbeat_ms = 100;
  cfg->watchdog_ms = 50;
  cfg->damp_ms = 1000;
  cfg->damping_kd = 1.0f;
  cfg->hold_kp = 20.0f;
  cfg->hold_kd = 0.5f;
  cfg->has_imu = 1;
  cfg->stream_backlog_states = 4;
}

uint32_t s2r_state_wire_bytes(unsigned n) {
  uint32_t len = S2R_HEADER_BYTES + 38u + 12u * n + S2R_CRC_BYTES;
  return len + (len + 253u) / 254u + 1u; /* COBS: ≤ 1 code byte per 254 data bytes; then the 0x00 delimiter */
}

/* Wire bytes of a HEARTBEAT frame: 8 + 4 + 2 decoded, one COBS code byte, the delimiter. */
#define HEARTBEAT_WIRE_BYTES 16u

static uint32_t period_us(const s2r_fw_t *fw) { return 1000000ul / fw->cfg.control_rate_hz; }

static void set_rates(s2r_fw_t *fw) {
  uint16_t c = fw->cfg.control_rate_hz;
  if (fw->cfg.state_rate_hz > c) fw->cfg.state_rate_hz = c;
  fw->state_div = fw->cfg.state_rate_hz ? (uint32_t)((c + fw->cfg.state_rate_hz / 2) / fw->cfg.state_rate_hz) : 0;
  if (fw->cfg.state_rate_hz && fw->state_div == 0) fw->state_div = 1;
  fw->hb_div = fw->cfg.heartbeat_ms ? (uint32_t)fw->cfg.heartbeat_ms * c / 1000u : 0;
}

void s2r_fw_init(s2r_fw_t *fw, const s2r_fw_config_t *cfg, const s2r_hal_t *hal) {
  memset(fw, 0, sizeof *fw);
  fw->cfg = *cfg;
  if (fw->cfg.n < 1) fw->cfg.n = 1;
  if (fw->cfg.n > S2R_MAX_JOINTS) fw->cfg.n = S2R_MAX_JOINTS;
  if (fw->cfg.control_rate_hz == 0) fw->cfg.control_rate_hz = 1000;
  fw->hal = hal;
  s2r_decoder_init(&fw->dec);
  s2r_decoder_unsync(&fw->dec); /* the host may be mid-frame when the device boots */
  fw->mode = S2R_MODE_IDLE;
  fw->last_cmd_seq = 0xFFFF;
  fw->quat[3] = 1.0f;
  fw->need_config = 1; /* announce ourselves on the first tick */
  fw->state_bytes = s2r_state_wire_bytes(fw->cfg.n);
  fw->stream_limit = (uint32_t)fw->cfg.stream_backlog_states * fw->state_bytes;
  set_rates(fw);
}

void s2r_fw_link_up(s2r_fw_t *fw) {
  s2r_decoder_unsync(&fw->dec); /* the new link may start mid-frame: its first cut frame is no error */
  fw->need_config = 1;
}

uint16_t s2r_fw_status(const s2r_fw_t *fw) {
  uint16_t s = fw->sticky;
  if (fw->mode == S2R_MODE_DAMPING || fw->mode == S2R_MODE_ESTOP || fw->mode == S2R_MODE_IDLE) s |= S2R_ST_DAMPING;
  if (fw->estop) s |= S2R_ST_ESTOP;
  if (fw->watchdog) s |= S2R_ST_WATCHDOG;
  if (fw->mode == S2R_MODE_HOLD) s |= S2R_ST_HOLD;
  if (fw->imu_valid) s |= S2R_ST_IMU_VALID;
  if (fw->active && !fw->watchdog && !fw->estop) s |= S2R_ST_ACTIVE;
  return s;
}

static void send(s2r_fw_t *fw) {
  size_t n;
  fw->tx.seq = fw->tx_seq++;
  fw->tx.time_us = fw->hal->micros(fw->hal->ctx);
  n = s2r_encode_frame(&fw->tx, fw->wire, sizeof fw->wire);
  if (n == 0) return;
  if (fw->hal->link_write(fw->hal->ctx, fw->wire, n) < n) fw->tx_dropped++;
  else fw->tx_frames++;
}

/*
 * Room for a periodic frame of `bytes`? STATE and unsolicited HEARTBEAT frames only matter while they are new: when
 * the host is not reading, queueing every one would fill the TX queue with stale states and then refuse the
 * replies the host is waiting for (a CONFIG after its CONFIG_REQUEST). So they are queued only while the backlog
 * stays within stream_limit; everything else (replies) may use the rest of the queue. Checked before encoding:
 * a skipped frame costs no CRC time and takes no seq.
 */
static int stream_room(const s2r_fw_t *fw, uint32_t bytes) {
  if (!fw->stream_limit || !fw->hal->link_backlog) return 1;
  return fw->hal->link_backlog(fw->hal->ctx) + bytes <= fw->stream_limit;
}

static void send_state(s2r_fw_t *fw) {
  s2r_state_t *s = &fw->tx.u.state;
  uint32_t now;
  if (!stream_room(fw, fw->state_bytes)) {
    fw->states_skipped++; /* the sticky bits stay set for the next state that goes out */
    return;
  }
  now = fw->hal->micros(fw->hal->ctx);
  fw->tx.type = S2R_MSG_STATE;
  s->status = s2r_fw_status(fw);
  s->mode = fw->mode;
  s->n = fw->cfg.n;
  s->last_cmd_seq = fw->last_cmd_seq;
  s->cmd_age_us = fw->active ? now - fw->last_cmd_us : 0xFFFFFFFFul;
  memcpy(s->gyro, fw->gyro, sizeof s->gyro);
  memcpy(s->quat, fw->quat, sizeof s->quat);
  memcpy(s->pos, fw->q, fw->cfg.n * sizeof(float));
  memcpy(s->vel, fw->dq, fw->cfg.n * sizeof(float));
  memcpy(s->eff, fw->eff, fw->cfg.n * sizeof(float));
  send(fw);
  fw->sticky = 0; /* LIMIT/OVERRUN/LINK_ERROR/REJECTED are "since the last state" */
  fw->states_sent++;
}

static void send_config(s2r_fw_t *fw) {
  s2r_config_t *c = &fw->tx.u.config;
  fw->tx.type = S2R_MSG_CONFIG;
  c->n = fw->cfg.n;
  c->flags = fw->cfg.has_imu ? 1 : 0;
  c->fw_version = S2R_FW_VERSION;
  c->names_hash = fw->cfg.names_hash;
  c->control_rate_hz = fw->cfg.control_rate_hz;
  c->state_rate_hz = fw->cfg.state_rate_hz;
  c->heartbeat_ms = fw->cfg.heartbeat_ms;
  c->watchdog_ms = fw->cfg.watchdog_ms;
  c->damp_ms = fw->cfg.damp_ms;
  memcpy(c->limits, fw->cfg.limits, sizeof c->limits);
  send(fw);
  fw->need_config = 0;
}

static void send_heartbeat(s2r_fw_t *fw, uint16_t echo) {
  fw->tx.type = S2R_MSG_HEARTBEAT;
  fw->tx.u.heartbeat.status = s2r_fw_status(fw);
  fw->tx.u.heartbeat.echo_seq = echo;
  send(fw);
}

static void reject(s2r_fw_t *fw, uint8_t code, uint8_t detail, uint16_t seq) {
  /* One ERROR per tick at most (the latest wins): a flood of bad frames must not flood the link back. */
  fw->pending_err = code;
  fw->pending_err_detail = detail;
  fw->pending_err_seq = seq;
  fw->sticky |= (code < 16) ? S2R_ST_LINK_ERROR : S2R_ST_REJECTED;
}

static void event(s2r_fw_t *fw, const char *what, uint8_t from, uint8_t to) {
  uint32_t age = fw->active ? fw->hal->micros(fw->hal->ctx) - fw->last_cmd_us : 0xFFFFFFFFul;
  if (fw->hal->on_event) fw->hal->on_event(fw->hal->ctx, what, from, to, age);
}

static int command_ok(const s2r_fw_t *fw, const s2r_command_t *c, uint8_t *code, uint8_t *detail) {
  unsigned j;
  if (c->n != fw->cfg.n) { *code = S2R_ERR_JOINT_COUNT; *detail = c->n; return 0; }
  if (fw->estop) { *code = S2R_ERR_ESTOPPED; *detail = 0; return 0; }
  if (c->mode != S2R_MODE_POSITION && c->mode != S2R_MODE_DAMPING && c->mode != S2R_MODE_ZERO_TORQUE) {
    *code = S2R_ERR_BAD_MODE; *detail = c->mode; return 0;
  }
  for (j = 0; j < c->n; j++) {
    /* NaN/Inf anywhere, or negative gains, reject the whole command: a half-applied command is worse. */
    if (!isfinite(c->pos[j]) || !isfinite(c->vel[j]) || !isfinite(c->tau[j]) || !isfinite(c->kp[j]) ||
        !isfinite(c->kd[j]) || c->kp[j] < 0.0f || c->kd[j] < 0.0f) {
      *code = S2R_ERR_BAD_VALUE; *detail = (uint8_t)j; return 0;
    }
  }
  return 1;
}

static void handle(s2r_fw_t *fw, const s2r_msg_t *m) {
  uint8_t code = 0, detail = 0;
  switch (m->type) {
    case S2R_MSG_COMMAND:
      if (!command_ok(fw, &m->u.command, &code, &detail)) {
        fw->cmds_rejected++;
        reject(fw, code, detail, m->seq);
        return;
      }
      fw->cmd = m->u.command;
      fw->last_cmd_us = fw->hal->micros(fw->hal->ctx);
      fw->last_cmd_seq = m->seq;
      fw->active = 1;
      if (fw->watchdog) {
        fw->watchdog = 0;
        event(fw, "watchdog_clear", fw->mode, fw->cmd.mode);
      }
      fw->cmds_ok++;
      if (fw->cfg.state_rate_hz == 0) send_state(fw); /* reply mode: one state per command */
      break;
    case S2R_MSG_HEARTBEAT: send_heartbeat(fw, m->seq); break;
    case S2R_MSG_ESTOP:
      if (!fw->estop) event(fw, "estop", fw->mode, S2R_MODE_ESTOP);
      fw->estop = 1;
      break;
    case S2R_MSG_RESET:
      if (m->u.reset.magic != S2R_RESET_MAGIC) {
        reject(fw, S2R_ERR_BAD_MAGIC, 0, m->seq);
        return;
      }
      event(fw, "reset", fw->mode, S2R_MODE_IDLE);
      fw->estop = 0;
      fw->active = 0;
      fw->watchdog = 0;
      break;
    case S2R_MSG_CONFIG_REQUEST:
      if (m->u.config_request.state_rate_hz) {
        fw->cfg.state_rate_hz = m->u.config_request.state_rate_hz;
        set_rates(fw);
      }
      send_config(fw);
      break;
    default: break; /* STATE/CONFIG/ERROR are device → host; ignore them from the host */
  }
}

void s2r_fw_rx(s2r_fw_t *fw, const uint8_t *bytes, size_t len) {
  size_t i;
  int r;
  for (i = 0; i < len; i++) {
    r = s2r_decoder_push(&fw->dec, bytes[i], &fw->rx);
    if (r == 1) handle(fw, &fw->rx);
    else if (r < 0) reject(fw, (uint8_t)-r, 0, 0xFFFF);
  }
}

static float clampf(float v, float lo, float hi, int *hit) {
  if (v < lo) { *hit = 1; return lo; }
  if (v > hi) { *hit = 1; return hi; }
  return v;
}

void s2r_fw_tick(s2r_fw_t *fw) {
  const s2r_hal_t *h = fw->hal;
  uint32_t now = h->micros(h->ctx), age;
  uint32_t wd_us = (uint32_t)fw->cfg.watchdog_ms * 1000u, damp_us = (uint32_t)fw->cfg.damp_ms * 1000u;
  uint8_t next;
  unsigned j, n = fw->cfg.n;
  int hit = 0;

  if (fw->ticks > 0 && now - fw->last_tick_us > period_us(fw) * 3u / 2u) {
    fw->overruns++;
    fw->sticky |= S2R_ST_OVERRUN;
  }
  fw->last_tick_us = now;
  fw->ticks++;

  h->read_joints(h->ctx, fw->q, fw->dq, fw->eff, n);
  fw->imu_valid = (uint8_t)(fw->cfg.has_imu && h->read_imu && h->read_imu(h->ctx, fw->gyro, fw->quat));

  /* Mode machine: e-stop > idle (nothing commanded since boot/reset) > watchdog (damping, then hold) > command. */
  if (fw->estop) next = S2R_MODE_ESTOP;
  else if (!fw->active) next = S2R_MODE_IDLE;
  else {
    age = now - fw->last_cmd_us;
    if (age > wd_us) {
      if (!fw->watchdog) {
        fw->watchdog = 1;
        event(fw, "watchdog", fw->mode, S2R_MODE_DAMPING);
      }
      next = age > wd_us + damp_us ? S2R_MODE_HOLD : S2R_MODE_DAMPING;
    } else next = fw->cmd.mode;
  }
  if (next != fw->mode) {
    if (next == S2R_MODE_HOLD) {
      for (j = 0; j < n; j++) fw->hold_q[j] = clampf(fw->q[j], fw->cfg.limits[j].pos_min, fw->cfg.limits[j].pos_max, &hit);
      hit = 0;
    }
    event(fw, "mode", fw->mode, next);
    fw->mode = next;
  }

  for (j = 0; j < n; j++) {
    const s2r_limits_t *L = &fw->cfg.limits[j];
    float q = fw->q[j], dq = fw->dq[j], t = 0.0f, qd, vd;
    switch (fw->mode) {
      case S2R_MODE_POSITION:
        qd = clampf(fw->cmd.pos[j], L->pos_min, L->pos_max, &hit);
        vd = clampf(fw->cmd.vel[j], -L->vel_max, L->vel_max, &hit);
        t = fw->cmd.kp[j] * (qd - q) + fw->cmd.kd[j] * (vd - dq) + fw->cmd.tau[j];
        /* Outside the position range, or faster than vel_max, drop any torque that pushes further out. */
        if ((q > L->pos_max && t > 0.0f) || (q < L->pos_min && t < 0.0f) || (dq > L->vel_max && t > 0.0f) ||
            (dq < -L->vel_max && t < 0.0f)) {
          t = 0.0f;
          hit = 1;
        }
        break;
      case S2R_MODE_DAMPING:
        /* Commanded damping uses the command's Kd; watchdog damping the configured one. */
        t = -((fw->active && !fw->watchdog && fw->cmd.kd[j] > 0.0f) ? fw->cmd.kd[j] : fw->cfg.damping_kd) * dq;
        break;
      case S2R_MODE_ESTOP:
      case S2R_MODE_IDLE: t = -fw->cfg.damping_kd * dq; break;
      case S2R_MODE_HOLD: t = fw->cfg.hold_kp * (fw->hold_q[j] - q) - fw->cfg.hold_kd * dq; break;
      default: t = 0.0f; break; /* zero torque */
    }
    /* A NaN can only come from non-finite sensor readings (commands are validated): output no torque. */
    if (t != t) {
      t = 0.0f;
      hit = 1;
    }
    fw->tau[j] = clampf(t, -L->effort_max, L->effort_max, &hit);
  }
  if (hit) {
    fw->sticky |= S2R_ST_LIMIT;
    fw->limit_hits++;
  }
  h->write_torques(h->ctx, fw->tau, n);

  if (fw->need_config) send_config(fw);
  if (fw->pending_err) {
    fw->tx.type = S2R_MSG_ERROR;
    fw->tx.u.error.code = fw->pending_err;
    fw->tx.u.error.detail = fw->pending_err_detail;
    fw->tx.u.error.ref_seq = fw->pending_err_seq;
    fw->pending_err = 0;
    send(fw);
  }
  if (fw->state_div && fw->ticks % fw->state_div == 0) send_state(fw);
  if (fw->hb_div && fw->ticks % fw->hb_div == 0) {
    if (stream_room(fw, HEARTBEAT_WIRE_BYTES)) send_heartbeat(fw, 0xFFFF);
    else fw->heartbeats_skipped++;
  }
}
