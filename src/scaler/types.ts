/** What the scaler records of each poll, shared by the scaler that writes it and the endpoints that show it. */
import type { ScalingDecision, ScalingSignals } from '../scaling/policy';
import type { Capacity } from './driver';

/** One decision with the moment it was made and the signals it was made from (and the driver's standby, if any). */
export interface LoggedDecision extends ScalingDecision {
  time: string;
  signals: ScalingSignals & Pick<Capacity, 'standbyReady'>;
}
