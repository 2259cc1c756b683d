/*
 * Simulated joint actuator for the host HAL: a first-order torque lag (motor electrical/driver time constant)
 * driving a rotor+link inertia with viscous and Coulomb friction:
 *   τ_m' = (τ_cmd − τ_m) / T_e
 *   J·q'' = τ_m − b·q' − τ_c·sign(q')      (stiction: stays at rest while |τ_m| ≤ τ_c)
 */
#ifndef S2R_MOTOR_MODEL_H
#define S2R_MOTOR_MODEL_H

typedef struct {
  float inertia;   /* J, kg·m² (reflected at the joint) */
  float viscous;   /* b, N·m·s/rad */
  float coulomb;   /* τ_c, N·m */
  float tau_e;     /* T_e, s */
} s2r_motor_params_t;

typedef struct {
  float q, dq, tau; /* rad, rad/s, N·m (applied) */
} s2r_motor_t;

/* Advance by dt seconds (internally sub-stepped at ≤ 100 µs for stability at high gains). */
void s2r_motor_step(s2r_motor_t *m, const s2r_motor_params_t *p, float tau_cmd, float dt);

#endif
