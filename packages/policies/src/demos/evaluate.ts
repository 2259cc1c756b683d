/**
 * Success-rate evaluation for demos and bench:policies: it lives in ../evaluate.ts, beside evaluatePolicy, on the
 * one episode loop (runEpisodes). This module keeps the import path and names its callers use.
 */
export { evaluateEpisodes as evaluatePolicy, wilson, type ActingPolicy, type SuccessEvalResult as EvalResult } from '../evaluate.ts';
