import { sendDeadLetter, type DeadLetter } from '../src/aws/dead-letter';
import { required } from '../src/config';
import type { ActivityDeps } from './deps';

export type DeadLetterInput = Omit<DeadLetter, 'source'>;

export function createDeadLetterActivities(deps: ActivityDeps) {
  return {
    /** Sends a failed item's original message and the reason to the dead-letter queue. */
    async sendToDeadLetterQueue(input: DeadLetterInput): Promise<{ messageId: string }> {
      const queueUrl = required(deps.config.pipeline.dlqUrl, 'EBBFLOW_DLQ_URL');
      const messageId = await sendDeadLetter(
        deps.aws.sqs,
        queueUrl,
        { ...input, source: 'workflow' },
        { s3: deps.aws.s3, bucket: deps.config.pipeline.outputBucket },
      );
      deps.logger.warn('sent to the dead-letter queue', { workflowId: input.workflowId, reason: input.reason });
      return { messageId };
    },
  };
}
