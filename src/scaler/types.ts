/** What the scaler records of each poll, shared by the scaler that writes it and the endpoints that show it. */
import type { ScalingDecision, ScalingSignals } from '../scaling/policy';

/** One decision with the moment it was made and the signals it was made from. */
export interface LoggedDecision extends ScalingDecision {
  time: string;
  signals: ScalingSignals;
}
