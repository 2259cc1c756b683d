/*
 * s2r serial protocol codec (hardware/PROTOCOL.md). C99, no dynamic allocation, no libc beyond string.h/math.h.
 * Twin of packages/bridge/src/protocol/ (TypeScript); hardware/protocol-vectors.json keeps the two byte-identical.
 */
#ifndef S2R_PROTOCOL_H
#define S2R_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define S2R_PROTOCOL_VERSION 1u
#define S2R_HEADER_BYTES 8u
#define S2R_CRC_BYTES 2u
#define S2R_MIN_FRAME (S2R_HEADER_BYTES + S2R_CRC_BYTES)
/* Largest decoded frame (header + body + CRC); bigger is 'oversize'. */
#define S2R_MAX_FRAME 512u
/* COBS worst case: +1 byte per 254 → 515 bytes before the 0x00 delimiter. */
#define S2R_MAX_ENCODED (S2R_MAX_FRAME + (S2R_MAX_FRAME + 253u) / 254u)
#define S2R_MAX_JOINTS 16u
#define S2R_RESET_MAGIC 0x54455352ul /* bytes 'R','S','E','T' little-endian */

enum s2r_msg_type {
  S2R_MSG_STATE = 0x01,
  S2R_MSG_COMMAND = 0x02,
  S2R_MSG_HEARTBEAT = 0x03,
  S2R_MSG_ESTOP = 0x04,
  S2R_MSG_RESET = 0x05,
  S2R_MSG_CONFIG = 0x06,
  S2R_MSG_CONFIG_REQUEST = 0x07,
  S2R_MSG_ERROR = 0x7F
};

enum s2r_mode {
  S2R_MODE_ZERO_TORQUE = 0,
  S2R_MODE_POSITION = 1,
  S2R_MODE_DAMPING = 2,
  S2R_MODE_HOLD = 3,
  S2R_MODE_ESTOP = 4,
  S2R_MODE_IDLE = 5
};

enum s2r_status {
  S2R_ST_DAMPING = 0x0001,
  S2R_ST_ESTOP = 0x0002,
  S2R_ST_WATCHDOG = 0x0004,
  S2R_ST_HOLD = 0x0008,
  S2R_ST_LIMIT = 0x0010,
  S2R_ST_OVERRUN = 0x0020,
  S2R_ST_IMU_VALID = 0x0040,
  S2R_ST_ACTIVE = 0x0080,
  S2R_ST_LINK_ERROR = 0x0100,
  S2R_ST_REJECTED = 0x0200
};

/* Error classes: 1..7 frame level (decoder counters), 16.. device rejections (ERROR message code byte). */
enum s2r_err {
  S2R_OK = 0,
  S2R_ERR_CRC = 1,
  S2R_ERR_TRUNCATED = 2,
  S2R_ERR_VERSION = 3,
  S2R_ERR_TYPE = 4,
  S2R_ERR_LENGTH = 5,
  S2R_ERR_OVERSIZE = 6,
  S2R_ERR_COBS = 7,
  S2R_ERR_JOINT_COUNT = 16,
  S2R_ERR_ESTOPPED = 17,
  S2R_ERR_BAD_VALUE = 18,
  S2R_ERR_BAD_MODE = 19,
  S2R_ERR_BAD_MAGIC = 20
};
#define S2R_N_FRAME_ERR 8 /* index 1..7 used */

typedef struct {
  float pos_min, pos_max; /* rad */
  float vel_max;          /* rad/s */
  float effort_max;       /* N·m */
} s2r_limits_t;

typedef struct {
  uint16_t status;
  uint8_t mode;
  uint8_t n;
  uint16_t last_cmd_seq;
  uint32_t cmd_age_us;
  float gyro[3]; /* rad/s, base frame */
  float quat[4]; /* x, y, z, w */
  float pos[S2R_MAX_JOINTS], vel[S2R_MAX_JOINTS], eff[S2R_MAX_JOINTS];
} s2r_state_t;

typedef struct {
  uint8_t mode;
  uint8_t n;
  float pos[S2R_MAX_JOINTS], vel[S2R_MAX_JOINTS], tau[S2R_MAX_JOINTS], kp[S2R_MAX_JOINTS], kd[S2R_MAX_JOINTS];
} s2r_command_t;

typedef struct {
  uint8_t n, flags;
  uint16_t fw_version;
  uint32_t names_hash;
  uint16_t control_rate_hz, state_rate_hz, heartbeat_ms, watchdog_ms, damp_ms;
  s2r_limits_t limits[S2R_MAX_JOINTS];
} s2r_config_t;

typedef struct {
  uint8_t type;
  uint16_t seq;
  uint32_t time_us;
  union {
    s2r_state_t state;
    s2r_command_t command;
    struct { uint16_t status, echo_seq; } heartbeat;
    struct { uint8_t reason; } estop;
    struct { uint32_t magic; } reset;
    s2r_config_t config;
    struct { uint16_t state_rate_hz; } config_request;
    struct { uint8_t code, detail; uint16_t ref_seq; } error;
  } u;
} s2r_msg_t;

uint16_t s2r_crc16(const uint8_t *data, size_t len);
uint32_t s2r_names_hash(const char *const *names, unsigned n);
/* Encode len bytes; returns bytes written (no delimiter). dst must hold len + len/254 + 1. */
size_t s2r_cobs_encode(const uint8_t *src, size_t len, uint8_t *dst);
/* Returns decoded length, -1 code byte past end (truncated), -2 zero inside, -3 dst too small. */
int s2r_cobs_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap);

/* Header + body into buf (cap bytes). Returns length, 0 if the message cannot be encoded. */
size_t s2r_write_payload(const s2r_msg_t *m, uint8_t *buf, size_t cap);
/* Whole wire frame: COBS(payload | crc LE) 0x00. Returns bytes incl. delimiter, 0 on error. */
size_t s2r_encode_frame(const s2r_msg_t *m, uint8_t *wire, size_t cap);
/* Check + parse a COBS-decoded frame of n bytes (incl. CRC). Returns S2R_OK or a frame error class. */
int s2r_decode_frame(const uint8_t *buf, size_t n, s2r_msg_t *out);

/* Streaming decoder: one byte at a time, fixed buffers. */
typedef struct {
  uint8_t enc[S2R_MAX_ENCODED];
  uint8_t dec[S2R_MAX_FRAME];
  uint16_t len;
  uint8_t overflow;
  uint32_t frames, empty, bytes;
  uint32_t errors[S2R_N_FRAME_ERR]; /* indexed by enum s2r_err 1..7 */
  uint8_t last_error;
  /* 1 until the first 0x00 after s2r_decoder_unsync(): those bytes may be the tail of a frame cut by the link
     coming up, so if they do not decode they are a sync drop (counted in sync_drops), not a frame error. */
  uint8_t unsynced;
  uint32_t sync_drops;
} s2r_decoder_t;

/* A new decoder is synced (its first byte starts a frame). */
void s2r_decoder_init(s2r_decoder_t *d);
/* Forget a partial frame and start unsynced: call when the link (re)starts, possibly mid-frame (PROTOCOL.md §2). */
void s2r_decoder_unsync(s2r_decoder_t *d);
/* Returns 1 when a valid message was decoded into *out, 0 when no frame ended (or an unsynced start's bytes were
   dropped), or -err for a dropped frame. */
int s2r_decoder_push(s2r_decoder_t *d, uint8_t byte, s2r_msg_t *out);
uint32_t s2r_decoder_error_total(const s2r_decoder_t *d);

#endif
