/** What the scaler records of each poll, shared by the scaler that writes it and the endpoints that show it. */
import type { ScalingDecision, ScalingSignals } from '../scaling/policy';
import type { Spent } from './cost-meter';
import type { Capacity } from './driver';

/** One decision with the moment it was made and the signals it was made from (and the driver's standby, if any). */
export interface LoggedDecision extends ScalingDecision {
  time: string;
  signals: ScalingSignals & Pick<Capacity, 'standbyReady'>;
  /** Tasks running once the change was made (read again after it), when the decision changed the fleet. */
  runningAfter?: number;
  /** What the fleet has spent since the scaler started, up to this poll (estimate; see cost-meter.ts). */
  spent?: Spent;
}
