/**
 * @s2r/bridge: run policies on robots. A fixed-rate control loop (read → update → safety → write) in its own
 * thread, the safety layer, and hardware interfaces for the simulator, serial devices and ROS (rosbridge).
 */
export type { HardwareInterface, RobotState, RobotCommand, CommandMode, ImuState } from './types.ts';
export { makeCommand, makeState, copyCommand, cloneCommand } from './command.ts';

export { deploy, type DeployOptions, type DeploySummary } from './deploy.ts';

export { ControlLoop, type ControlLoopOptions, type LoopResult, type OverrunPolicy, type Controller, type TickInfo } from './loop/control-loop.ts';
export { startControlLoop, type StartLoopOptions, type LoopHandle, type LiveFigures, type SafetyOptions, type RobotLimitsData } from './loop/run-loop.ts';
export { PolicyController, type ControllerOptions, type Between } from './loop/policy-controller.ts';
export { InlineSource, QueuedSource, type ActionSource } from './loop/action-source.ts';
export { mapJoints, checkJointSets } from './loop/joint-map.ts';
export { TickRing, F as TICK_FIELDS, type TickRecord } from './loop/tick-ring.ts';

export { SafetyLayer, INTERVENTION_KINDS, type SafetyConfig, type SafetyPhase, type InterventionKind, type SafetyEvent } from './safety/safety-layer.ts';
export { limitsFromModel, limitTable, type JointLimitTable } from './safety/limits.ts';

export { MockHardware, type MockHardwareOptions } from './hardware/mock.ts';
export { SimHardware, LEGGED_GYM_NOISE, type SimHardwareOptions, type SimNoise } from './hardware/sim.ts';
export { RosHardware, type RosHardwareOptions } from './hardware/ros.ts';
export { SerialHardware, createSerialHardware, type SerialHardwareOptions } from './hardware/serial.ts';
export { parseSerialSpec } from './hardware/serial-spec.ts';
export * as protocol from './protocol/index.ts';
export { createHardware, parseHardwareArg, type HardwareSpec } from './hardware/registry.ts';

export type { DeployPolicy, PolicySource, ObsInput, ChunkSpec } from './policy/types.ts';
export { loadDeployPolicy } from './policy/load.ts';
export { observationFromSpec, type ObsTermSpec } from './policy/observation.ts';
export { parseCommandSchedule, commandAt, type CommandStep } from './policy/command-schedule.ts';
export { adaptOnnxPolicy, type OnnxSource } from './policy/onnx.ts';
export { runSim2Sim, type Sim2SimOptions, type Sim2SimResult } from './sim2sim/sim2sim.ts';
export type { Engine } from './sim2sim/engine.ts';

export { LatencyStats, type LatencySummary } from './timing/latency-stats.ts';
export { nowS, sleepUntil } from './timing/clock.ts';
export { setThreadPriority, type ThreadPriority } from './timing/priority.ts';
export { command } from './cli/deploy.ts';
