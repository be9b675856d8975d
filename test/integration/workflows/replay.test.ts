/**
 * Runs already in flight must survive a deploy: every history under test/fixtures/histories (recorded from the
 * workflows by scripts/record-histories.js, as `temporal workflow show --output json` writes them) is replayed
 * against the workflow code as it is now. A change that would make a running workflow take a different path (a
 * reordered or removed activity, a new timer, a renamed signal) fails here, before it is deployed; such a change needs
 * `patched()` or a new workflow type, and then new histories.
 *
 * protobufjs is a direct dependency so that Temporal's packages share one copy of it: with two, reading a JSON history
 * fails with "type must be a Type".
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../../workflows';

const HISTORIES = path.resolve(__dirname, '../../fixtures/histories');

function recorded(filter: (file: string) => boolean = () => true): { workflowId: string; history: unknown }[] {
  return readdirSync(HISTORIES)
    .filter((file) => file.endsWith('.json') && filter(file))
    .sort()
    .map((file) => ({
      // <scenario>.<nn>.<workflow id, URI-encoded>.json: child workflow ids derive from their parent's.
      workflowId: decodeURIComponent(file.split('.').slice(2, -1).join('.')),
      history: JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as unknown,
    }));
}

async function replay(workflowsPath: string, histories: { workflowId: string; history: unknown }[]) {
  const results: { workflowId: string; error?: string }[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath, replayName: 'recorded' }, histories)) {
    results.push({ workflowId: result.workflowId, error: result.error?.name });
  }
  return results;
}

it('replays every recorded history, of every workflow type, against the current workflow code', async () => {
  const histories = recorded();
  const types = new Set(
    histories.map(
      ({ history }) =>
        (history as { events: { workflowExecutionStartedEventAttributes: { workflowType: { name: string } } }[] })
          .events[0]!.workflowExecutionStartedEventAttributes.workflowType.name,
    ),
  );
  // A workflow type without a recorded history would go unchecked: record one for it.
  expect([...types].sort()).toEqual(
    Object.entries(workflows)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort(),
  );

  const results = await replay(require.resolve('../../../workflows'), histories);
  expect(results.filter((r) => r.error)).toEqual([]);
  expect(results).toHaveLength(histories.length);
}, 180_000);

it('fails a history whose workflow code took another path since it was recorded', async () => {
  // The bridge tests' stand-in has the image workflow's name but completes without the resize activity.
  const results = await replay(
    require.resolve('../../fixtures/workflows'),
    recorded((file) => file.startsWith('image-completed-bridge-started.')),
  );
  expect(results).toEqual([{ workflowId: 'image-completed', error: 'DeterminismViolationError' }]);
}, 180_000);
