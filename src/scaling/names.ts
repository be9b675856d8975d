/**
 * The scaling policies by name: the one list that `EBBFLOW_SCALER_POLICY`, the live scaler and `ebbflow simulate`
 * read. It has no imports, so the configuration can validate a name without loading a policy.
 */
export const SCALING_POLICY_NAMES = ['ebbflow', 'aws-target-tracking', 'keda', 'keda-sqs'] as const;

/**
 * Which rules decide: ebbflow's own, or another autoscaler's semantics to compare with on the same fleet: AWS target
 * tracking, KEDA with the HPA on the `temporal` trigger (`keda`) or on the `aws-sqs-queue` trigger (`keda-sqs`).
 */
export type ScalingPolicyName = (typeof SCALING_POLICY_NAMES)[number];
