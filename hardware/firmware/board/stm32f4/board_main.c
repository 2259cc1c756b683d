/*
 * Board HAL for an STM32F411 (Nucleo-F411RE / "Black Pill"), bare metal, no vendor library:
 *  - clock: the 16 MHz HSI after reset (enough for 16 joints at 1 kHz; 1 Mbaud divides exactly: BRR = 16);
 *  - time: SysTick at 1 kHz (the control tick) + its down-counter for µs;
 *  - link: USART2 on PA2 (TX) / PA3 (RX), AF7, 1 Mbaud 8N1 — the ST-LINK virtual COM port on a Nucleo;
 *    RX by interrupt into a ring, TX from a ring by the TXE interrupt;
 *  - motors / encoders / IMU: board_joints_* below. They are the integration point for your motor drivers
 *    (CAN, RS-485, PWM + encoder timers…). As shipped they model "no actuator attached": encoders read the
 *    last commanded position hold (0), torque commands are stored but go nowhere. Replace them for a robot.
 */
#include <stdint.h>

#include "s2r_fw.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB1ENR REG(0x40023840u)
#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_OSPEEDR REG(0x40020008u)
#define GPIOA_AFRL REG(0x40020020u)
#define USART2_SR REG(0x40004400u)
#define USART2_DR REG(0x40004404u)
#define USART2_BRR REG(0x40004408u)
#define USART2_CR1 REG(0x4000440Cu)
#define NVIC_ISER1 REG(0xE000E104u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

#define CPU_HZ 16000000u
#define N_JOINTS 12u
#define RING 1024u /* bytes; power of two */

static const char *const joint_names[N_JOINTS] = {
    "FR_hip_joint", "FR_thigh_joint", "FR_calf_joint", "FL_hip_joint", "FL_thigh_joint", "FL_calf_joint",
    "RR_hip_joint", "RR_thigh_joint", "RR_calf_joint", "RL_hip_joint", "RL_thigh_joint", "RL_calf_joint"};

static volatile uint32_t ms_ticks;
static volatile uint8_t tick_due;
static volatile uint8_t rx_ring[RING];
static volatile uint32_t rx_head, rx_tail;
static volatile uint8_t tx_ring[RING * 2];
static volatile uint32_t tx_head, tx_tail;

void SysTick_Handler(void) {
  ms_ticks++;
  tick_due = 1;
}

void USART2_IRQHandler(void) {
  uint32_t sr = USART2_SR;
  if (sr & ((1u << 5) | (1u << 3))) { /* RXNE or overrun: reading DR clears both */
    uint8_t b = (uint8_t)USART2_DR;
    if (rx_head - rx_tail < RING) rx_ring[rx_head++ % RING] = b; /* full: byte lost → the frame fails its CRC */
  }
  if ((sr & (1u << 7)) && (USART2_CR1 & (1u << 7))) { /* TXE with TXEIE on */
    if (tx_tail != tx_head) USART2_DR = tx_ring[tx_tail++ % (RING * 2)];
    else USART2_CR1 &= ~(1u << 7);
  }
}

static uint32_t hal_micros(void *ctx) {
  uint32_t ms, v;
  (void)ctx;
  do { /* re-read if SysTick wrapped between the two reads */
    ms = ms_ticks;
    v = SYST_CVR;
  } while (ms != ms_ticks);
  return ms * 1000u + (SYST_RVR - v) / (CPU_HZ / 1000000u);
}

/* ---- integration point: replace with your actuators ---- */
static float commanded[N_JOINTS];
static void board_joints_read(void *ctx, float *pos, float *vel, float *eff, unsigned n) {
  unsigned j;
  (void)ctx;
  for (j = 0; j < n; j++) { pos[j] = 0.0f; vel[j] = 0.0f; eff[j] = commanded[j]; }
}
static void board_joints_write(void *ctx, const float *tau, unsigned n) {
  unsigned j;
  (void)ctx;
  for (j = 0; j < n; j++) commanded[j] = tau[j];
}
static int board_imu_read(void *ctx, float gyro[3], float quat[4]) {
  (void)ctx; (void)gyro; (void)quat;
  return 0; /* no IMU fitted */
}
/* ---- */

static size_t hal_link_write(void *ctx, const uint8_t *buf, size_t len) {
  size_t i;
  (void)ctx;
  if ((RING * 2) - (tx_head - tx_tail) < len) return 0; /* whole frame or nothing */
  for (i = 0; i < len; i++) tx_ring[tx_head++ % (RING * 2)] = buf[i];
  USART2_CR1 |= 1u << 7; /* TXEIE: the ISR drains the ring */
  return len;
}

/* Bytes still to shift out. The core keeps periodic states within 4 frames (≤ 976 B at 16 joints) of this, so at
 * least 1 KB of the 2 KB TX ring stays free for replies even if the UART stalls (e.g. a CTS-gated adapter). */
static size_t hal_link_backlog(void *ctx) {
  (void)ctx;
  return tx_head - tx_tail;
}

static s2r_fw_t fw;

int main(void) {
  static s2r_fw_config_t cfg;
  static s2r_hal_t hal;
  uint8_t chunk[64];
  unsigned n;

  RCC_AHB1ENR |= 1u << 0;  /* GPIOA */
  RCC_APB1ENR |= 1u << 17; /* USART2 */
  GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4);       /* PA2, PA3 alternate function */
  GPIOA_OSPEEDR |= 0xFu << 4;                                     /* high speed */
  GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (0x77u << 8);       /* AF7 = USART2 */
  USART2_BRR = CPU_HZ / 1000000u;                                 /* 1 Mbaud, 16× oversampling */
  USART2_CR1 = (1u << 13) | (1u << 5) | (1u << 3) | (1u << 2);    /* UE, RXNEIE, TE, RE */
  NVIC_ISER1 = 1u << (38 - 32);
  SYST_RVR = CPU_HZ / 1000u - 1u; /* 1 kHz */
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, interrupt, enable */

  s2r_fw_default_config(&cfg, N_JOINTS);
  cfg.names_hash = s2r_names_hash(joint_names, N_JOINTS);
  cfg.has_imu = 0;
  hal.micros = hal_micros;
  hal.read_joints = board_joints_read;
  hal.write_torques = board_joints_write;
  hal.read_imu = board_imu_read;
  hal.link_write = hal_link_write;
  hal.link_backlog = hal_link_backlog;
  s2r_fw_init(&fw, &cfg, &hal);

  for (;;) {
    n = 0;
    while (rx_tail != rx_head && n < sizeof chunk) chunk[n++] = rx_ring[rx_tail++ % RING];
    if (n) s2r_fw_rx(&fw, chunk, n);
    if (tick_due) {
      tick_due = 0;
      s2r_fw_tick(&fw);
    }
    if (rx_tail == rx_head && !tick_due) __asm volatile("wfi"); /* sleep until the next byte or tick */
  }
}
