import { deploy } from './src/deploy.ts';
const joints = ['FR_hip_joint','FR_thigh_joint','FR_calf_joint','FL_hip_joint','FL_thigh_joint','FL_calf_joint','RR_hip_joint','RR_thigh_joint','RR_calf_joint','RL_hip_joint','RL_thigh_joint','RL_calf_joint'];
const dp = [-0.1,0.8,-1.5,0.1,0.8,-1.5,-0.1,1,-1.5,0.1,1,-1.5];
const s = await deploy({
  policy: { module: new URL('./test/helpers/policies.ts', import.meta.url).pathname, export: 'constantPolicy', options: { joints, defaultPose: dp, action: 0 } },
  robot: 'hardware/robots/s2r-go1/s2r-go1.urdf', hardware: 'sim', durationS: 2, latencyMs: 5, noise: 1, record: '/tmp/dep.mcap',
  safety: { softStartS: 1 }, log: (l) => console.error(l),
});
console.log(JSON.stringify(s));
