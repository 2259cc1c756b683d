/*
 * s2r-emu: the firmware core running on the host behind a tty, with simulated motors (host/motor_model.c).
 * The same src/fw.c and src/protocol.c that a board runs; only the HAL differs.
 *
 *   socat -d -d pty,raw,echo=0,link=/tmp/dev pty,raw,echo=0,link=/tmp/host &
 *   s2r-emu --tty /tmp/dev --joints a,b,c         # the bridge opens /tmp/host
 *   s2r-emu --pty [--link /tmp/dev]               # or: own a pty, print "PTY <path>" on stdout
 *
 * The control loop keeps running with the link down (watchdog → damping → hold), and the tty is re-opened
 * every 100 ms until it comes back. Mode changes go to stderr as JSON lines; stats to stdout at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "motor_model.h"
#include "s2r_fw.h"

/* TX ring, bytes. It holds frames the tty would not take yet (the peer is not reading). Periodic states are capped
 * by the core at cfg.stream_backlog_states frames (≤ 4·244 B), so the rest is always free for replies. */
#define RING 65536u
#define HIST 100000u /* lateness histogram bins, 1 µs each */

static volatile sig_atomic_t running = 1;
/* Lateness (µs) of the control tick being run, reported with events so a test can tell a late tick on a loaded
 * host from a firmware timing bug. */
static uint32_t cur_late_us;
static void on_signal(int s) { (void)s; running = 0; }

typedef struct {
  int fd, pty_master, pty_slave_keep;
  const char *path;
  char pty_path[128];
  uint64_t t0_ns;
  s2r_motor_t motor[S2R_MAX_JOINTS];
  s2r_motor_params_t mp;
  float tau_cmd[S2R_MAX_JOINTS];
  uint8_t ring[RING];
  uint32_t head, tail; /* bytes in ring: head - tail */
  uint32_t tx_peak;    /* most bytes ever waiting in the ring */
  int quiet;
  uint32_t reopens, link_downs, rx_bytes;
} host_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t hal_micros(void *ctx) { return (uint32_t)((now_ns() - ((host_t *)ctx)->t0_ns) / 1000u); }

static void hal_read_joints(void *ctx, float *pos, float *vel, float *eff, unsigned n) {
  host_t *h = ctx;
  unsigned j;
  for (j = 0; j < n; j++) {
    pos[j] = h->motor[j].q;
    vel[j] = h->motor[j].dq;
    eff[j] = h->motor[j].tau;
  }
}

static void hal_write_torques(void *ctx, const float *tau, unsigned n) {
  memcpy(((host_t *)ctx)->tau_cmd, tau, n * sizeof(float));
}

/* A level, resting base: no rotation, identity orientation (projected gravity = −z). */
static int hal_read_imu(void *ctx, float gyro[3], float quat[4]) {
  (void)ctx;
  gyro[0] = gyro[1] = gyro[2] = 0.0f;
  quat[0] = quat[1] = quat[2] = 0.0f;
  quat[3] = 1.0f;
  return 1;
}

static size_t hal_link_write(void *ctx, const uint8_t *buf, size_t len) {
  host_t *h = ctx;
  size_t i;
  if (h->fd < 0 || RING - (h->head - h->tail) < len) return 0; /* whole frame or nothing */
  for (i = 0; i < len; i++) h->ring[(h->head++) % RING] = buf[i];
  if (h->head - h->tail > h->tx_peak) h->tx_peak = h->head - h->tail;
  return len;
}

static size_t hal_link_backlog(void *ctx) {
  host_t *h = ctx;
  return h->fd < 0 ? 0 : h->head - h->tail;
}

static void hal_event(void *ctx, const char *what, uint8_t from, uint8_t to, uint32_t age) {
  host_t *h = ctx;
  if (h->quiet) return;
  fprintf(stderr, "{\"event\":\"%s\",\"t_us\":%u,\"from\":\"%s\",\"to\":\"%s\",\"cmd_age_us\":%u,\"tick_late_us\":%u}\n",
          what, hal_micros(ctx), s2r_mode_name(from), s2r_mode_name(to), age, cur_late_us);
}

static void link_event(host_t *h, const char *what) {
  if (!h->quiet) fprintf(stderr, "{\"event\":\"%s\",\"t_us\":%u,\"path\":\"%s\"}\n", what, hal_micros(h), h->path);
}

static void flush_tx(host_t *h) {
  while (h->fd >= 0 && h->head != h->tail) {
    uint32_t off = h->tail % RING, avail = h->head - h->tail, chunk = RING - off < avail ? RING - off : avail;
    ssize_t w = write(h->fd, h->ring + off, chunk);
    if (w > 0) h->tail += (uint32_t)w;
    else break; /* EAGAIN: the peer is not reading; keep the bytes (the core stops queueing states meanwhile) */
  }
}

static void set_raw(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &t);
  }
}

static int open_link(host_t *h) {
  int fd = open(h->path, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return -1;
  set_raw(fd);
  h->fd = fd;
  h->head = h->tail = 0;
  return 0;
}

static void close_link(host_t *h) {
  if (h->fd >= 0 && h->fd != h->pty_master) close(h->fd);
  h->fd = -1;
  h->link_downs++;
  link_event(h, "link_down");
}

static int open_pty(host_t *h, const char *link) {
  const char *name;
  h->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (h->pty_master < 0 || grantpt(h->pty_master) || unlockpt(h->pty_master) || !(name = ptsname(h->pty_master))) return -1;
  snprintf(h->pty_path, sizeof h->pty_path, "%s", name);
  /* Keep one slave fd open ourselves: otherwise the master sees a hang-up whenever the bridge closes. */
  h->pty_slave_keep = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (h->pty_slave_keep < 0) return -1;
  set_raw(h->pty_slave_keep);
  if (link) {
    unlink(link);
    if (symlink(name, link) != 0) return -1;
  }
  h->fd = h->pty_master;
  h->path = link ? link : h->pty_path;
  return 0;
}

/* --joints name[:pmin:pmax:vmax:emax],... */
static int parse_joints(const char *spec, s2r_fw_config_t *cfg, char names[][64], const char **ptrs) {
  unsigned n = 0;
  const char *p = spec;
  while (*p && n < S2R_MAX_JOINTS) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char item[256], *colon;
    if (len >= sizeof item) return -1;
    memcpy(item, p, len);
    item[len] = 0;
    colon = strchr(item, ':');
    if (colon) {
      float v[4];
      if (sscanf(colon + 1, "%f:%f:%f:%f", &v[0], &v[1], &v[2], &v[3]) != 4) {
        fprintf(stderr, "s2r-emu: --joints: \"%s\" needs name:pos_min:pos_max:vel_max:effort_max\n", item);
        return -1;
      }
      cfg->limits[n].pos_min = v[0];
      cfg->limits[n].pos_max = v[1];
      cfg->limits[n].vel_max = v[2];
      cfg->limits[n].effort_max = v[3];
      *colon = 0;
    }
    if (strlen(item) == 0 || strlen(item) >= 64) {
      fprintf(stderr, "s2r-emu: --joints: empty or too long joint name at #%u\n", n);
      return -1;
    }
    strcpy(names[n], item);
    ptrs[n] = names[n];
    n++;
    p = end ? end + 1 : p + len;
  }
  if (*p) {
    fprintf(stderr, "s2r-emu: --joints: more than %u joints\n", S2R_MAX_JOINTS);
    return -1;
  }
  return (int)n;
}

static const char *USAGE =
    "usage: s2r-emu (--tty PATH | --pty [--link PATH]) [options]\n"
    "  --tty PATH          open this tty (e.g. one end of a socat pty pair); re-opened if it goes away\n"
    "  --pty               create a pty, print \"PTY <slave path>\" on stdout; --link PATH adds a symlink\n"
    "  --joints LIST       name[:pos_min:pos_max:vel_max:effort_max],...  (default: 12 Go1 joints)\n"
    "  --rate HZ           control (PD) rate, default 1000\n"
    "  --state-rate HZ     state stream rate, default 500; 0 = one state per command\n"
    "  --heartbeat-ms MS   unsolicited heartbeat period, default 100; 0 = off\n"
    "  --stream-backlog N  while the host is not reading, queue at most N states (then skip them, newest wins);\n"
    "                      replies (CONFIG, ERROR, echoes) still go out; default 4; 0 = no cap\n"
    "  --watchdog-ms MS    no valid command for MS → damping, default 50\n"
    "  --damp-ms MS        damping phase before hold, default 1000\n"
    "  --damping-kd KD     N·m·s/rad, default 1.0;  --hold-kp KP (20)  --hold-kd KD (0.5)\n"
    "  --inertia J         kg·m², default 0.02;  --viscous B (0.05)  --coulomb TAU (0.1)  --motor-tau-ms T (1.0)\n"
    "  --init Q|Q0,Q1,...  initial joint positions (rad), default 0\n"
    "  --duration S        exit after S seconds (default: run until SIGINT/SIGTERM)\n"
    "  --stats FILE        write the exit stats JSON there instead of stdout\n"
    "  --spin-us US        busy-wait the last US before each tick (lower lateness, burns CPU); default 0\n"
    "  --rt                try SCHED_FIFO 50 + mlockall\n"
    "  --quiet             no event lines on stderr\n";

static const char *GO1[] = {"FR_hip_joint", "FR_thigh_joint", "FR_calf_joint", "FL_hip_joint",
                            "FL_thigh_joint", "FL_calf_joint", "RR_hip_joint", "RR_thigh_joint",
                            "RR_calf_joint", "RL_hip_joint", "RL_thigh_joint", "RL_calf_joint"};

static uint32_t hist[HIST];

int main(int argc, char **argv) {
  static host_t h;
  static s2r_fw_t fw;
  static s2r_fw_config_t cfg;
  static char names[S2R_MAX_JOINTS][64];
  const char *ptrs[S2R_MAX_JOINTS];
  const char *tty = NULL, *link = NULL, *joints = NULL, *init = NULL, *stats_path = NULL;
  int use_pty = 0, rt = 0, rt_ok = 0, i, n;
  double duration = 0;
  long spin_ns = 0;
  s2r_hal_t hal;
  uint64_t period_ns, next, t_end = 0, last_sim, last_reopen = 0, late, late_max = 0, ticks = 0, missed = 0;
  struct pollfd pfd;
  uint8_t buf[4096];

  s2r_fw_default_config(&cfg, 12);
  h.mp.inertia = 0.02f;
  h.mp.viscous = 0.05f;
  h.mp.coulomb = 0.1f;
  h.mp.tau_e = 0.001f;
  h.fd = h.pty_master = h.pty_slave_keep = -1;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE() (v ? (i++, v) : (fprintf(stderr, "s2r-emu: %s needs a value\n%s", a, USAGE), exit(2), ""))
    if (!strcmp(a, "--tty")) tty = TAKE();
    else if (!strcmp(a, "--pty")) use_pty = 1;
    else if (!strcmp(a, "--link")) link = TAKE();
    else if (!strcmp(a, "--joints")) joints = TAKE();
    else if (!strcmp(a, "--rate")) cfg.control_rate_hz = (uint16_t)atoi(TAKE());
    else if (!strcmp(a, "--state-rate")) cfg.state_rate_hz = (uint16_t)atoi(TAKE());
    else if (!strcmp(a, "--heartbeat-ms")) cfg.heartbeat_ms = (uint16_t)atoi(TAKE());
    else if (!strcmp(a, "--stream-backlog")) {
      const char *txt = TAKE();
      char *end;
      long k = strtol(txt, &end, 10);
      if (end == txt || *end || k < 0 || k > 100) { fprintf(stderr, "s2r-emu: --stream-backlog must be 0..100 states\n"); return 2; }
      cfg.stream_backlog_states = (uint8_t)k;
    }
    else if (!strcmp(a, "--watchdog-ms")) cfg.watchdog_ms = (uint16_t)atoi(TAKE());
    else if (!strcmp(a, "--damp-ms")) cfg.damp_ms = (uint16_t)atoi(TAKE());
    else if (!strcmp(a, "--damping-kd")) cfg.damping_kd = strtof(TAKE(), NULL);
    else if (!strcmp(a, "--hold-kp")) cfg.hold_kp = strtof(TAKE(), NULL);
    else if (!strcmp(a, "--hold-kd")) cfg.hold_kd = strtof(TAKE(), NULL);
    else if (!strcmp(a, "--inertia")) h.mp.inertia = strtof(TAKE(), NULL);
    else if (!strcmp(a, "--viscous")) h.mp.viscous = strtof(TAKE(), NULL);
    else if (!strcmp(a, "--coulomb")) h.mp.coulomb = strtof(TAKE(), NULL);
    else if (!strcmp(a, "--motor-tau-ms")) h.mp.tau_e = strtof(TAKE(), NULL) * 1e-3f;
    else if (!strcmp(a, "--init")) init = TAKE();
    else if (!strcmp(a, "--duration")) duration = atof(TAKE());
    else if (!strcmp(a, "--stats")) stats_path = TAKE();
    else if (!strcmp(a, "--spin-us")) spin_ns = atol(TAKE()) * 1000L;
    else if (!strcmp(a, "--rt")) rt = 1;
    else if (!strcmp(a, "--quiet")) h.quiet = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(USAGE, stdout); return 0; }
    else { fprintf(stderr, "s2r-emu: unknown option %s\n%s", a, USAGE); return 2; }
  }
  if (!!tty == !!use_pty) { fprintf(stderr, "s2r-emu: give exactly one of --tty PATH or --pty\n%s", USAGE); return 2; }
  if (cfg.control_rate_hz < 10 || cfg.control_rate_hz > 20000) { fprintf(stderr, "s2r-emu: --rate must be 10..20000 Hz\n"); return 2; }
  if (!(h.mp.inertia > 0)) { fprintf(stderr, "s2r-emu: --inertia must be > 0\n"); return 2; }

  if (joints) {
    n = parse_joints(joints, &cfg, names, ptrs);
    if (n < 1) return 2;
  } else {
    n = 12;
    for (i = 0; i < n; i++) ptrs[i] = GO1[i];
  }
  cfg.n = (uint8_t)n;
  cfg.names_hash = s2r_names_hash(ptrs, (unsigned)n);
  if (init) {
    /* One number sets every joint; a comma list sets them in order (missing ones stay 0). */
    const char *p = init;
    char *end;
    int all = strchr(init, ',') == NULL;
    for (i = 0; i < n && *p; i++) {
      float q = strtof(p, &end);
      if (end == p || (*end != ',' && *end != 0)) { fprintf(stderr, "s2r-emu: --init: bad number at joint %d\n", i); return 2; }
      h.motor[i].q = q;
      if (all) { int k; for (k = 0; k < n; k++) h.motor[k].q = q; break; }
      p = *end ? end + 1 : end;
    }
  }

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  if (rt) {
    struct sched_param sp;
    sp.sched_priority = 50;
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) perror("s2r-emu: SCHED_FIFO (continuing without)");
    else rt_ok = 1;
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) perror("s2r-emu: mlockall (continuing without)");
  }

  h.t0_ns = now_ns();
  if (use_pty) {
    if (open_pty(&h, link) != 0) { perror("s2r-emu: pty"); return 1; }
    printf("PTY %s\n", h.path);
    fflush(stdout);
  } else {
    h.path = tty;
    if (open_link(&h) != 0) fprintf(stderr, "s2r-emu: %s: %s (retrying every 100 ms)\n", tty, strerror(errno));
  }
  if (!h.quiet)
    fprintf(stderr, "s2r-emu: %d joints (names hash 0x%08x), PD %u Hz, state %u Hz, watchdog %u ms, link %s\n", n,
            cfg.names_hash, cfg.control_rate_hz, cfg.state_rate_hz, cfg.watchdog_ms, h.path);

  hal.ctx = &h;
  hal.micros = hal_micros;
  hal.read_joints = hal_read_joints;
  hal.write_torques = hal_write_torques;
  hal.read_imu = hal_read_imu;
  hal.link_write = hal_link_write;
  hal.link_backlog = hal_link_backlog;
  hal.on_event = hal_event;
  s2r_fw_init(&fw, &cfg, &hal);
  if (h.fd >= 0) link_event(&h, "link_up");

  period_ns = 1000000000ull / cfg.control_rate_hz;
  next = now_ns() + period_ns;
  last_sim = now_ns();
  if (duration > 0) t_end = now_ns() + (uint64_t)(duration * 1e9);

  while (running) {
    /* Wait for the deadline, serving the link as bytes arrive (commands apply at once; replies go out at once). */
    for (;;) {
      uint64_t t = now_ns();
      int64_t remaining = (int64_t)(next - t) - spin_ns;
      struct timespec ts;
      int r;
      if (remaining <= 0) break;
      ts.tv_sec = remaining / 1000000000LL;
      ts.tv_nsec = remaining % 1000000000LL;
      pfd.fd = h.fd;
      pfd.events = POLLIN | (h.head != h.tail ? POLLOUT : 0);
      pfd.revents = 0;
      r = ppoll(&pfd, h.fd >= 0 ? 1 : 0, &ts, NULL);
      if (r <= 0 || h.fd < 0) continue;
      if (pfd.revents & POLLIN) {
        ssize_t got = read(h.fd, buf, sizeof buf);
        if (got > 0) {
          h.rx_bytes += (uint32_t)got;
          s2r_fw_rx(&fw, buf, (size_t)got);
          flush_tx(&h);
        } else if (h.fd != h.pty_master && (got == 0 || (errno != EAGAIN && errno != EINTR))) {
          close_link(&h);
          continue;
        }
      } else if ((pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) && h.fd != h.pty_master) {
        close_link(&h);
        continue;
      }
      if (pfd.revents & POLLOUT) flush_tx(&h);
    }
    while (now_ns() < next) { /* optional spin */ }

    {
      uint64_t t = now_ns();
      float dt;
      unsigned j;
      late = t - next;
      cur_late_us = (uint32_t)(late / 1000u);
      hist[late / 1000u < HIST ? late / 1000u : HIST - 1]++;
      if (late > late_max) late_max = late;
      ticks++;
      /* Motors integrate the torques applied since the last tick over the real elapsed time (≤ 10 ms). */
      dt = (float)(t - last_sim) * 1e-9f;
      if (dt > 0.01f) dt = 0.01f;
      last_sim = t;
      for (j = 0; j < (unsigned)n; j++) s2r_motor_step(&h.motor[j], &h.mp, h.tau_cmd[j], dt);
      s2r_fw_tick(&fw);
      flush_tx(&h);
      if (h.fd < 0 && t - last_reopen > 100000000ull) {
        last_reopen = t;
        if (open_link(&h) == 0) {
          h.reopens++;
          link_event(&h, "link_up");
          s2r_fw_link_up(&fw);
        }
      }
      next += period_ns;
      if (t > next) { /* overran a whole period: skip the missed ticks, keep the phase */
        uint64_t behind = (t - next) / period_ns + 1;
        missed += behind;
        next += behind * period_ns;
      }
      if (t_end && t >= t_end) break;
    }
  }

  {
    uint64_t acc = 0, p50 = 0, p99 = 0, k;
    FILE *out = stats_path ? fopen(stats_path, "w") : stdout;
    for (k = 0; k < HIST; k++) {
      acc += hist[k];
      if (!p50 && acc * 2 >= ticks) p50 = k;
      if (!p99 && acc * 100 >= ticks * 99) { p99 = k; break; }
    }
    if (!out) out = stdout;
    fprintf(out,
            "{\"emu\":\"stats\",\"ticks\":%llu,\"late_p50_us\":%llu,\"late_p99_us\":%llu,\"late_max_us\":%.1f,"
            "\"missed\":%llu,\"overruns\":%u,\"rx_bytes\":%u,\"rx_frames\":%u,\"rx_errors\":%u,\"cmds_ok\":%u,"
            "\"cmds_rejected\":%u,\"tx_frames\":%u,\"tx_dropped\":%u,\"states_sent\":%u,\"states_skipped\":%u,"
            "\"heartbeats_skipped\":%u,\"tx_backlog_peak\":%u,\"limit_hits\":%u,"
            "\"link_downs\":%u,\"reopens\":%u,\"rt\":%d,\"mode\":\"%s\"}\n",
            (unsigned long long)ticks, (unsigned long long)p50, (unsigned long long)p99, late_max / 1000.0,
            (unsigned long long)missed, fw.overruns, h.rx_bytes, fw.dec.frames, s2r_decoder_error_total(&fw.dec),
            fw.cmds_ok, fw.cmds_rejected, fw.tx_frames, fw.tx_dropped, fw.states_sent, fw.states_skipped,
            fw.heartbeats_skipped, h.tx_peak, fw.limit_hits, h.link_downs,
            h.reopens, rt_ok, s2r_mode_name(fw.mode));
    if (out != stdout) fclose(out);
    else fflush(stdout);
  }
  if (link && use_pty) unlink(link);
  return 0;
}
