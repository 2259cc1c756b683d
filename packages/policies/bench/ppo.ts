/**
 * `npm run bench:ppo`: PPO update throughput and policy inference latency.
 *
 *  cpu_step_ms, torch_cpu_step_ms, ratio_vs_torch_cpu: the step's CPU time (process, all threads) on both sides —
 *                     what a loaded machine does not distort much; ratio = torch CPU ÷ ours (> 1: we are faster).
 *  sharded_*_main_cpu_ms: the main thread's CPU per step on 1 and on 2 threads (Linux /proc): its share of the work.
 *  sharded_*          the same step with the minibatch cut into 4 gradient shards (cfg.gradShards), computed on 1 thread
 *                     and on 2 (main + one worker thread: cfg.updateThreads); the 2-thread figure is what a 2-core
 *                     update gets. Shards make 1 and 2 threads bit-identical (test/ppo/grad-shards.test.ts).
 *  samples_per_s      one PPO minibatch step (actor + critic [256, 256] ELU, obs 48, act 12, minibatch 4096):
 *                     forward, loss + gradient, backward, global grad-norm clip, Adam — the trainer's real code
 *                     path (PPO.update with one epoch of one minibatch), median of repeated steps.
 *  torch_*            the same step in PyTorch on one thread, when `python3 -c "import torch"` works.
 *  infer_us_p50       batch-1 act() of the exported [256, 256] policy artifact (no tfjs), median.
 *  rollout_*          batched actor inference at rollout size (64 envs, go1 [256,128,64]): the deployable MLP
 *                     (WebAssembly SIMD kernel) vs tfjs. The trainer picks the faster at start ('auto').
 *  matmul_*           the wasm transpose trap: xᵀ·dz via transposeA vs an explicit transpose.
 *  load_avg_1m        this machine is shared: the 1-minute load average when the bench ran.
 * Last line: one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { Rng } from '@s2r/core';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend.ts';
import { PPO } from '../src/ppo/ppo.ts';
import { defaultPpoConfig } from '../src/ppo/config.ts';
import { exportPpoArtifact } from '../src/ppo/export.ts';
import { policyFromArtifact } from '../src/policy.ts';
import { TfMlp, initMlp } from '../src/nn/mlp.ts';
import { RuntimeMlp } from '../src/runtime/mlp.ts';
import { mainThreadCpuMs, processCpuMs } from './cpu.ts';

const B = 4096, OBS = 48, ACT = 12, H = [256, 256];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const backend = await initBackend(process.env.S2R_BACKEND);
const cfg = { ...defaultPpoConfig('bench'), numEnvs: B, stepsPerEnv: 1, numMinibatches: 1, numEpochs: 1, actorHidden: H, criticHidden: H, activation: 'elu' as const, asymmetricCritic: false };
const actSpec = { size: ACT, joints: Array.from({ length: ACT }, (_, i) => `j${i}`), low: -100, high: 100, mode: 'position' as const, scale: 0.25, unit: 'rad' };
const obsSpec = { size: OBS, terms: [{ name: 'obs', size: OBS, unit: '1' }] };
const ppo = new PPO(cfg, { obs: OBS, priv: 0, act: ACT }, Rng.seed(1), actSpec);
const rng = Rng.seed(2);
const obs = new Float32Array(B * OBS);
const actions = new Float32Array(B * ACT);
const rewards = new Float32Array(B);
const zeros = new Uint8Array(B);
/** One synthetic one-step rollout into `p`'s storage (random observations and rewards). */
function fill(p: PPO = ppo, r: Rng = rng): void {
  r.fillNormal(obs);
  p.act(obs, null, actions);
  r.fillNormal(rewards);
  p.processEnvStep(rewards, zeros, zeros);
  r.fillNormal(obs);
  p.computeReturns(obs, null);
}
const times: number[] = [];
let cpuSum = 0;
for (let i = 0; i < 14; i++) {
  fill();
  const c0 = processCpuMs();
  const st = ppo.update();
  if (i >= 3) {
    times.push(st.updateMs);
    cpuSum += processCpuMs() - c0;
  }
}
// CPU per step (process, all threads, around update() only): the load-robust figure on a shared machine.
const cpuStepMs = cpuSum / 11;
const stepMs = median(times);
const samplesPerS = B / (stepMs / 1000);
console.log(`tfjs ${backend}: PPO minibatch step ${stepMs.toFixed(1)} ms (${B} samples, actor+critic [${H}]) → ${samplesPerS.toFixed(0)} samples/s; tensors alive ${tf.memory().numTensors}`);

/** The same minibatch step with 4 gradient shards on `threads` threads: median ms. */
async function shardedStepMs(threads: number): Promise<{ ms: number; mainCpuMs: number | null }> {
  const p = new PPO({ ...cfg, gradShards: 4, updateThreads: threads }, { obs: OBS, priv: 0, act: ACT }, Rng.seed(1), actSpec);
  await p.startUpdateThreads(backend);
  const r = Rng.seed(2);
  const ts: number[] = [];
  let main: number | null = 0;
  try {
    for (let i = 0; i < 14; i++) {
      fill(p, r);
      const m0 = mainThreadCpuMs();
      const st = p.update();
      const m1 = mainThreadCpuMs();
      if (i >= 3) {
        ts.push(st.updateMs);
        main = main !== null && m0 !== null && m1 !== null ? main + (m1 - m0) : null;
      }
    }
  } finally {
    p.dispose();
  }
  // The main thread's CPU per step (around update() only): on a free 2-core machine the 2-thread step takes about this.
  return { ms: median(ts), mainCpuMs: main === null ? null : main / 11 };
}

// batch-1 inference of the exported artifact
// The action pipeline (since issue 11 the export stores it): plain position targets, no limits (bench data only).
const pipeline = {
  mode: 'position' as const, joints: actSpec.joints, low: -100, high: 100, scale: 0.25, offset: new Array(ACT).fill(0),
  lower: new Array(ACT).fill(null), upper: new Array(ACT).fill(null), maxRate: new Array(ACT).fill(null), substepDt: 0.005,
};
const art = exportPpoArtifact(ppo, { task: 'bench', observationSpec: obsSpec, privilegedSpec: null, actionSpec: actSpec, dt: 0.02, envConfig: null, defaultPose: new Array(ACT).fill(0), kp: null, kd: null, pipeline }, {});
const policy = await policyFromArtifact(art);
const x = new Float32Array(OBS);
rng.fillNormal(x);
for (let i = 0; i < 20000; i++) policy.act(x);
const lat: number[] = [];
for (let i = 0; i < 20000; i++) {
  const t0 = process.hrtime.bigint();
  policy.act(x);
  lat.push(Number(process.hrtime.bigint() - t0) / 1000);
}
const inferUs = median(lat);
console.log(`policy.act batch 1 ([${H}] actor): p50 ${inferUs.toFixed(2)} µs, p99 ${[...lat].sort((a, b) => a - b)[Math.floor(lat.length * 0.99)]!.toFixed(2)} µs`);

// rollout-sized batched inference: plain JS vs tfjs (decides the rollout path)
const gl = initMlp([OBS, 256, 128, 64, ACT], Rng.seed(3), 0.01);
const rt = new RuntimeMlp(gl, 'elu');
const tfm = new TfMlp(gl, 'elu', 'r');
const xb = new Float32Array(64 * OBS);
rng.fillNormal(xb);
const tJs: number[] = [];
const tTf: number[] = [];
for (let i = 0; i < 300; i++) {
  let t0 = performance.now();
  rt.forward(xb, 64);
  tJs.push((performance.now() - t0) * 1000);
  t0 = performance.now();
  tf.tidy(() => tfm.forward(tf.tensor2d(xb, [64, OBS])).dataSync());
  tTf.push((performance.now() - t0) * 1000);
}
const rollJs = median(tJs.slice(50));
const rollTf = median(tTf.slice(50));
console.log(`rollout inference, 64 envs, [256,128,64]: plain JS ${rollJs.toFixed(0)} µs, tfjs-${backend} ${rollTf.toFixed(0)} µs`);

// The wasm transpose trap: dW = xᵀ·dz through matMul's transposeA flag (what tfjs autodiff emits) vs an
// explicit tf.transpose first (what nn/dense.ts does), at the [256, 256] layer's backward size.
const xT = tf.randomNormal([B, 256]) as tf.Tensor2D;
const dzT = tf.randomNormal([B, 256]) as tf.Tensor2D;
const timeOp = (f: () => tf.Tensor, n: number) => {
  const ts: number[] = [];
  for (let i = 0; i < n + 1; i++) {
    const t0 = performance.now();
    tf.tidy(() => f().dataSync());
    if (i > 0) ts.push(performance.now() - t0);
  }
  return median(ts);
};
const flagMs = timeOp(() => tf.matMul(xT, dzT, true, false), 3);
const explicitMs = timeOp(() => tf.matMul(tf.transpose(xT) as tf.Tensor2D, dzT), 7);
xT.dispose();
dzT.dispose();
console.log(`dW = xᵀ·dz (4096×256 each): transposeA flag ${flagMs.toFixed(1)} ms, explicit transpose ${explicitMs.toFixed(1)} ms (${(flagMs / explicitMs).toFixed(1)}×)`);

// PyTorch on one thread, same step
const PY = String.raw`
import time, math, torch, json
torch.set_num_threads(1); torch.manual_seed(0)
B, OBS, ACT, H = 4096, 48, 12, 256
def mlp(i, o): return torch.nn.Sequential(torch.nn.Linear(i, H), torch.nn.ELU(), torch.nn.Linear(H, H), torch.nn.ELU(), torch.nn.Linear(H, o))
actor, critic = mlp(OBS, ACT), mlp(OBS, 1)
log_std = torch.nn.Parameter(torch.zeros(ACT))
params = list(actor.parameters()) + [log_std] + list(critic.parameters())
opt = torch.optim.Adam(params, lr=1e-3)
obs = torch.randn(B, OBS); act = torch.randn(B, ACT); old_logp = torch.randn(B); adv = torch.randn(B); ret = torch.randn(B); old_v = torch.randn(B)
def step():
    mu = actor(obs); v = critic(obs).squeeze(-1)
    dist = torch.distributions.Normal(mu, log_std.exp())
    logp = dist.log_prob(act).sum(-1); ent = dist.entropy().sum(-1).mean()
    r = torch.exp(logp - old_logp)
    surr = torch.max(-adv * r, -adv * torch.clamp(r, 0.8, 1.2)).mean()
    vc = old_v + (v - old_v).clamp(-0.2, 0.2)
    vl = torch.max((v - ret) ** 2, (vc - ret) ** 2).mean()
    loss = surr + 1.0 * vl - 0.01 * ent
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step()
for _ in range(3): step()
ts = []
c0 = time.process_time()
for _ in range(15):
    t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
cpu = (time.process_time() - c0) / 15
ts.sort()
print(json.dumps({"step_ms": ts[len(ts)//2] * 1000, "cpu_step_ms": cpu * 1000, "torch": torch.__version__}))
`;
let torchSps: number | null = null;
let torchCpuMs: number | null = null;
for (const py of ['python3', '/usr/bin/python3']) {
  const r = spawnSync(py, ['-c', PY], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
  if (r.status === 0) {
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    torchSps = B / (j.step_ms / 1000);
    torchCpuMs = j.cpu_step_ms;
    console.log(`PyTorch ${j.torch} (${py}, 1 thread): step ${j.step_ms.toFixed(1)} ms → ${torchSps.toFixed(0)} samples/s`);
    break;
  }
}
if (torchSps === null) console.log('PyTorch not available (python3 -c "import torch" failed): torch figures are null');
ppo.dispose();
tfm.dispose();
// After the single-pass PPO is freed: tfjs variable names are per process.
const sharded1 = await shardedStepMs(1);
const sharded2 = await shardedStepMs(2);
const sharded1Ms = sharded1.ms;
const sharded2Ms = sharded2.ms;
console.log(`4 gradient shards: 1 thread ${sharded1Ms.toFixed(1)} ms → ${(B / (sharded1Ms / 1000)).toFixed(0)} samples/s (main thread CPU ${sharded1.mainCpuMs?.toFixed(0)} ms); 2 threads ${sharded2Ms.toFixed(1)} ms → ${(B / (sharded2Ms / 1000)).toFixed(0)} samples/s (main thread CPU ${sharded2.mainCpuMs?.toFixed(0)} ms)`);
console.log(
  JSON.stringify({
    bench: 'ppo',
    samples_per_s: Math.round(samplesPerS),
    torch_samples_per_s: torchSps === null ? null : Math.round(torchSps),
    ratio_vs_torch: torchSps === null ? null : Number((samplesPerS / torchSps).toFixed(3)),
    // per CPU-second (1 thread each): comparable on a loaded machine, unlike the wall-clock ratio above
    cpu_step_ms: Number(cpuStepMs.toFixed(1)),
    torch_cpu_step_ms: torchCpuMs === null ? null : Number(torchCpuMs.toFixed(1)),
    ratio_vs_torch_cpu: torchCpuMs === null ? null : Number((torchCpuMs / cpuStepMs).toFixed(3)),
    sharded_1thread_main_cpu_ms: sharded1.mainCpuMs === null ? null : Number(sharded1.mainCpuMs.toFixed(1)),
    sharded_2threads_main_cpu_ms: sharded2.mainCpuMs === null ? null : Number(sharded2.mainCpuMs.toFixed(1)),
    sharded_1thread_samples_per_s: Math.round(B / (sharded1Ms / 1000)),
    sharded_2threads_samples_per_s: Math.round(B / (sharded2Ms / 1000)),
    sharded_2threads_ratio_vs_torch: torchSps === null ? null : Number((B / (sharded2Ms / 1000) / torchSps).toFixed(3)),
    infer_us_p50: Number(inferUs.toFixed(2)),
    backend,
    step_ms: Number(stepMs.toFixed(1)),
    rollout_infer_js_us: Math.round(rollJs),
    rollout_infer_tfjs_us: Math.round(rollTf),
    matmul_transposeA_ms: Number(flagMs.toFixed(1)),
    matmul_explicit_transpose_ms: Number(explicitMs.toFixed(1)),
    load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
  }),
);
