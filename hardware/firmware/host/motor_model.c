#include "motor_model.h"

#include <math.h>

void s2r_motor_step(s2r_motor_t *m, const s2r_motor_params_t *p, float tau_cmd, float dt) {
  int k, steps = (int)ceilf(dt / 100e-6f);
  float h, a, net;
  if (steps < 1) steps = 1;
  h = dt / (float)steps;
  a = p->tau_e > 0.0f ? 1.0f - expf(-h / p->tau_e) : 1.0f;
  for (k = 0; k < steps; k++) {
    m->tau += (tau_cmd - m->tau) * a;
    if (m->dq == 0.0f && fabsf(m->tau) <= p->coulomb) continue; /* stiction */
    net = m->tau - p->viscous * m->dq - (m->dq > 0.0f ? p->coulomb : m->dq < 0.0f ? -p->coulomb : (m->tau > 0.0f ? p->coulomb : -p->coulomb));
    {
      float dq_new = m->dq + net / p->inertia * h;
      /* Friction can stop the joint but never reverse it within a step. */
      if (m->dq != 0.0f && (dq_new > 0.0f) != (m->dq > 0.0f) && fabsf(m->tau) <= p->coulomb) dq_new = 0.0f;
      m->dq = dq_new;
    }
    m->q += m->dq * h;
  }
}
