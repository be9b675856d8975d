import type { ActivityDeps } from '../../../activities/deps';
import { createEtlActivities } from '../../../activities/etl';

type Command = { constructor: { name: string }; input: { Bucket?: string; Key?: string; Body?: string } };

function activitiesWritingTo(sent: Command[]) {
  const deps = {
    config: { pipeline: { inputBucket: 'ebbflow-input', outputBucket: 'ebbflow-output' } },
    aws: { s3: { send: async (command: Command) => sent.push(command) } },
  } as unknown as ActivityDeps;
  return createEtlActivities(deps);
}

describe('the final ledger object', () => {
  it.each([['etl-demo/sources.yaml'], ['s3://elsewhere/sources.yaml'], [undefined]])(
    'goes to the output bucket, which workers may write (sources %s)',
    async (configKey) => {
      const sent: Command[] = [];
      const { url } = await activitiesWritingTo(sent).writeEtlLedger({
        workflowId: 'etl-2025-03-14-abc123',
        date: '2025-03-14',
        status: 'succeeded',
        configKey,
        ledger: [],
      });
      expect(sent.map((c) => [c.constructor.name, c.input.Bucket, c.input.Key])).toEqual([
        ['PutObjectCommand', 'ebbflow-output', 'etl/etl-2025-03-14-abc123/ledger.jsonl'],
      ]);
      expect(url).toBe('s3://ebbflow-output/etl/etl-2025-03-14-abc123/ledger.jsonl');
    },
  );
});
