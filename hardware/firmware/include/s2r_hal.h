/*
 * Hardware abstraction: everything the firmware core needs from a board. The core never touches registers or
 * files; a HAL provides time, encoders, motors, IMU and the byte link. Two HALs ship: host/ (simulated motors
 * on a tty, the emulator) and board/stm32f4/ (bare-metal STM32F4, USART2).
 */
#ifndef S2R_HAL_H
#define S2R_HAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct s2r_hal {
  void *ctx;
  /* Monotonic microseconds; wraps at 2^32 (71.6 min) — the core only uses differences. */
  uint32_t (*micros)(void *ctx);
  /* Encoders (rad, rad/s) and measured joint torque (N·m; from current sensing, or the model on the host). */
  void (*read_joints)(void *ctx, float *pos, float *vel, float *effort, unsigned n);
  /* Motor torque commands (N·m), already limited by the core. */
  void (*write_torques)(void *ctx, const float *tau, unsigned n);
  /* IMU: gyro (rad/s, base frame) and orientation quaternion [x,y,z,w]. Returns 1 if valid, 0 if no IMU. */
  int (*read_imu)(void *ctx, float gyro[3], float quat[4]);
  /* Queue bytes on the link; returns bytes accepted. A frame is only queued whole or not at all. */
  size_t (*link_write)(void *ctx, const uint8_t *buf, size_t len);
  /* Optional (may be NULL = always 0): bytes queued by link_write that are not on the wire yet. The core uses it
   * to keep periodic frames (STATE, unsolicited HEARTBEAT) from piling up when nobody reads the link. */
  size_t (*link_backlog)(void *ctx);
  /* Optional (may be NULL): report a mode change, for logs. */
  void (*on_event)(void *ctx, const char *what, uint8_t from_mode, uint8_t to_mode, uint32_t cmd_age_us);
} s2r_hal_t;

#endif
