/** What every learner trained from demonstrations (BC, diffusion) takes and reports. */
import type { ArtifactControl } from '../artifact.ts';
import type { DemoDataset } from './dataset.ts';

export interface TrainProgress {
  iteration: number;
  iterations: number;
  loss: number;
  lr: number;
  elapsedS: number;
}

export interface DemoTrainOptions<C> {
  /** The demonstrations, or the folder they were saved to. */
  demos: DemoDataset | string;
  config?: Partial<C>;
  /** Default pose / gains of the task (else taken from the demos' meta.control, else zeros / null). */
  control?: Partial<ArtifactControl>;
  /** Where to write the artifact (policy.json). */
  out?: string;
  /** Called every `progressEvery` iterations (default 50) — drive a progress bar / metrics.jsonl from it. */
  onProgress?: (p: TrainProgress) => void;
  progressEvery?: number;
  /** Stop early (Ctrl-C): the weights so far are exported. */
  signal?: AbortSignal;
}
