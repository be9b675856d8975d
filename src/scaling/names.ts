/**
 * The scaling policies by name: the one list that `EBBFLOW_SCALER_POLICY`, the live scaler and `ebbflow simulate`
 * read. It has no imports, so the configuration can validate a name without loading a policy.
 */
export const SCALING_POLICY_NAMES = ['ebbflow', 'aws-target-tracking'] as const;

/** Which rules decide: ebbflow's own, or another autoscaler's semantics to compare with on the same fleet. */
export type ScalingPolicyName = (typeof SCALING_POLICY_NAMES)[number];
