/*
 * Firmware core: protocol handling, per-joint PD at a fixed rate with limits, watchdog (no valid command for
 * watchdog_ms → damping for damp_ms → hold), e-stop latch (cleared only by RESET), heartbeat, state streaming.
 * All state lives in one s2r_fw_t the caller allocates statically. No dynamic allocation.
 */
#ifndef S2R_FW_H
#define S2R_FW_H

#include "s2r_hal.h"
#include "s2r_protocol.h"

#define S2R_FW_VERSION 0x0100u /* 1.0 */

typedef struct {
  uint8_t n;                       /* joints */
  uint32_t names_hash;             /* s2r_names_hash() of the joint names, in order */
  s2r_limits_t limits[S2R_MAX_JOINTS];
  uint16_t control_rate_hz;        /* PD loop rate, 1000 */
  uint16_t state_rate_hz;          /* state stream; 0 = one state in reply to each command */
  uint16_t heartbeat_ms;           /* unsolicited heartbeat period; 0 = off */
  uint16_t watchdog_ms;            /* no valid command for this long → damping */
  uint16_t damp_ms;                /* damping phase before hold */
  float damping_kd;                /* N·m·s/rad, damping / e-stop / idle */
  float hold_kp, hold_kd;          /* N·m/rad, N·m·s/rad, hold after the damping phase */
  uint8_t has_imu;
  /* TX backlog cap for periodic frames, in STATE frames (default 4; 0 = no cap). A STATE or unsolicited HEARTBEAT
   * is only queued while the link backlog (hal.link_backlog) stays within this many STATE frames' worth of bytes;
   * otherwise it is skipped (a newer one follows a period later) and counted. So a host that does not read for a
   * while (still starting, or not connected yet) finds at most this many stale states queued, and replies
   * (CONFIG, ERROR, heartbeat echoes) always find room in the TX queue behind them. */
  uint8_t stream_backlog_states;
} s2r_fw_config_t;

/* Defaults: 1 kHz PD, 500 Hz state, 100 ms heartbeat, 50 ms watchdog, 1 s damping, Kd 1, hold Kp 20 / Kd 0.5,
 * stream backlog 4 states. */
void s2r_fw_default_config(s2r_fw_config_t *cfg, uint8_t n);

typedef struct {
  s2r_fw_config_t cfg;
  const s2r_hal_t *hal;
  s2r_decoder_t dec;
  s2r_msg_t rx;        /* decoded message scratch */
  s2r_msg_t tx;        /* outgoing message scratch */
  uint8_t wire[S2R_MAX_ENCODED + 1];
  s2r_command_t cmd;   /* last accepted command */
  float q[S2R_MAX_JOINTS], dq[S2R_MAX_JOINTS], eff[S2R_MAX_JOINTS], tau[S2R_MAX_JOINTS];
  float hold_q[S2R_MAX_JOINTS];
  float gyro[3], quat[4];
  uint8_t imu_valid;
  uint8_t mode;        /* enum s2r_mode actually applied */
  uint8_t estop;       /* latched */
  uint8_t active;      /* a command was accepted since boot/reset */
  uint8_t watchdog;    /* tripped since the last accepted command */
  uint16_t sticky;     /* LIMIT/OVERRUN/LINK_ERROR/REJECTED since the last state sent */
  uint16_t tx_seq;
  uint16_t last_cmd_seq;
  uint32_t last_cmd_us;
  uint32_t last_tick_us;
  uint32_t ticks;
  uint32_t state_div, hb_div; /* ticks between states / heartbeats */
  uint8_t pending_err, pending_err_detail;
  uint16_t pending_err_seq;
  uint8_t need_config;
  uint32_t state_bytes;  /* wire bytes of one STATE frame (delimiter included) for cfg.n joints */
  uint32_t stream_limit; /* link backlog (bytes) above which periodic frames are skipped; 0 = no cap */
  /* counters. tx_dropped: frames link_write refused (TX queue full or link down); states_skipped and
   * heartbeats_skipped: periodic frames not queued because the backlog was at stream_limit (they take no seq, so
   * the host sees no gap for them). */
  uint32_t cmds_ok, cmds_rejected, overruns, tx_frames, tx_dropped, limit_hits, states_sent;
  uint32_t states_skipped, heartbeats_skipped;
} s2r_fw_t;

void s2r_fw_init(s2r_fw_t *fw, const s2r_fw_config_t *cfg, const s2r_hal_t *hal);
/* Feed bytes received on the link (from the main loop or an RX interrupt's ring buffer). */
void s2r_fw_rx(s2r_fw_t *fw, const uint8_t *bytes, size_t len);
/* One control period: read sensors, run the mode machine and PD with limits, write torques, stream. */
void s2r_fw_tick(s2r_fw_t *fw);
/* The link (re)opened: announce CONFIG again and drop any half-received frame. */
void s2r_fw_link_up(s2r_fw_t *fw);
/* Wire bytes (COBS + delimiter) of a STATE frame with n joints: the unit of cfg.stream_backlog_states. */
uint32_t s2r_state_wire_bytes(unsigned n);
/* Status bits as they would go out in the next STATE. */
uint16_t s2r_fw_status(const s2r_fw_t *fw);
const char *s2r_mode_name(uint8_t mode);

#endif
