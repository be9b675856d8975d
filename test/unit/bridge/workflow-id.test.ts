import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseMessage } from '../../../src/bridge/messages';
import { loadConfig } from '../../../src/config';
import { processImageInput } from '../../../src/images/workflow-input';
import { IMAGE_WORKFLOW, planMessage, type MessagePlan, type PlanOptions } from '../../../src/bridge/plan';
import {
  deriveWorkflowId,
  envelopeWorkflowId,
  s3WorkflowId,
  sanitizeIdPart,
  workflowIdPrefix,
} from '../../../src/bridge/workflow-id';

const fixture = (name: string): string =>
  readFileSync(path.join(__dirname, '../../fixtures/messages', `${name}.json`), 'utf8');

const options = (body: string, messageId = 'm-1'): PlanOptions => ({
  messageId,
  body,
  knownWorkflows: new Set([IMAGE_WORKFLOW, 'echoWorkflow']),
  rules: {
    envelopeWorkflows: new Set([IMAGE_WORKFLOW, 'echoWorkflow']),
    imageKeys: { prefix: '', suffixes: ['.jpg', '.png'] },
    readBuckets: new Set(['ebbflow-input', 'in']),
    writeBuckets: new Set(['out']),
    topics: new Set(),
  },
  imageInput: (source) => ({ ...source, maxAttempts: 3, outputBucket: 'out' }),
});

function plan(name: string, messageId = 'm-1'): MessagePlan {
  const body = fixture(name);
  return planMessage(parseMessage(body), options(body, messageId));
}

describe('workflow ids', () => {
  it('are readable, safe and end in a hash of the idempotency key', () => {
    const id = s3WorkflowId({ bucket: 'ebbflow-input', key: 'photos/my cat+1.jpg', sequencer: '01' });
    expect(id).toMatch(/^image-ebbflow-input\/photos\/my_cat\+1\.jpg-[0-9a-f]{32}$/);
  });

  it('are the same for the same object content, however it was seen, and differ when the content changes', () => {
    const a = { bucket: 'b', key: 'k.jpg', sequencer: '01', eTag: 'x' };
    expect(s3WorkflowId({ ...a })).toBe(s3WorkflowId(a));
    // A listing (quoted ETag, no sequencer or event time) and a notification of the same object agree.
    expect(s3WorkflowId({ bucket: 'b', key: 'k.jpg', eTag: '"x"' })).toBe(s3WorkflowId(a));
    expect(s3WorkflowId({ ...a, sequencer: '02', eventTime: 't2' })).toBe(s3WorkflowId(a));
    expect(s3WorkflowId({ ...a, eTag: 'y' })).not.toBe(s3WorkflowId(a));
    // Without an ETag, what distinguishes one upload from the next.
    const noETag = { bucket: 'b', key: 'k.jpg' };
    expect(s3WorkflowId({ ...noETag, versionId: 'v2' })).not.toBe(s3WorkflowId({ ...noETag, versionId: 'v1' }));
    expect(s3WorkflowId({ ...noETag, sequencer: '02' })).not.toBe(s3WorkflowId({ ...noETag, sequencer: '01' }));
    expect(s3WorkflowId({ ...noETag, eventTime: 't2' })).not.toBe(s3WorkflowId({ ...noETag, eventTime: 't1' }));
  });

  it('stay unique when sanitising makes two keys look alike', () => {
    const one = s3WorkflowId({ bucket: 'b', key: 'a b.jpg', sequencer: '1' });
    const two = s3WorkflowId({ bucket: 'b', key: 'a_b.jpg', sequencer: '1' });
    expect(one.slice(0, -33)).toBe(two.slice(0, -33));
    expect(one).not.toBe(two);
  });

  it('are bounded in length for very long keys', () => {
    const id = deriveWorkflowId('image', 'x'.repeat(5000), 'k');
    expect(id.length).toBeLessThanOrEqual(200);
    expect(sanitizeIdPart('tab\there"quote\u0000')).toBe('tab_here_quote_');
  });

  it('keep 128 bits of hash, so that different items never share an id by chance', () => {
    const id = s3WorkflowId({ bucket: 'b', key: 'k.jpg', versionId: 'v1' });
    expect(id).toMatch(/^image-b\/k\.jpg-[0-9a-f]{32}$/);
  });

  it('come from the envelope id, or from the body when it has none (the same after a redrive)', () => {
    const withId = { kind: 'envelope' as const, workflow: 'echoWorkflow', id: 'order 42', input: {} };
    expect(envelopeWorkflowId(withId, '{"a":1}')).toBe(envelopeWorkflowId(withId, '{"a":2}'));
    expect(envelopeWorkflowId(withId, '{}')).toMatch(/^echo-order_42-[0-9a-f]{32}$/);
    const without = { kind: 'envelope' as const, workflow: 'echoWorkflow', input: {} };
    const body = '{"workflow":"echoWorkflow","input":{}}';
    expect(envelopeWorkflowId(without, body)).toBe(envelopeWorkflowId(without, body));
    expect(envelopeWorkflowId(without, body)).toMatch(/^echo-body-[0-9a-f]{32}$/);
    expect(envelopeWorkflowId(without, body)).not.toBe(envelopeWorkflowId(without, `${body} `));
    expect(workflowIdPrefix('processImageWorkflow')).toBe('process-image');
  });
});

describe('planMessage', () => {
  it('starts the image workflow with search attributes, settings and the original body', () => {
    const body = fixture('s3-object-created');
    const result = plan('s3-object-created');
    expect(result).toEqual({
      kind: 'start',
      starts: [
        {
          workflowType: IMAGE_WORKFLOW,
          workflowId: expect.stringMatching(/^image-ebbflow-input\/photos\/my_cat\+1\.jpg-/),
          input: {
            bucket: 'ebbflow-input',
            key: 'photos/my cat+1.jpg',
            maxAttempts: 3,
            outputBucket: 'out',
            sizeBytes: 1024,
            message: body,
          },
          searchAttributes: { EbbflowSourceBucket: 'ebbflow-input', EbbflowSourceKey: 'photos/my cat+1.jpg' },
          item: 's3://ebbflow-input/photos/my cat+1.jpg',
        },
      ],
    });
  });

  it('starts image runs untagged when the configured input opts out of search attributes', () => {
    const body = fixture('s3-object-created');
    const config = loadConfig({ EBBFLOW_IMAGE_SEARCH_ATTRIBUTES: 'false' }, { useDevState: false });
    const result = planMessage(parseMessage(body), {
      ...options(body),
      imageInput: (source) => processImageInput(config, source),
    });
    expect(result.kind === 'start' && result.starts[0]).toEqual(
      expect.objectContaining({ input: expect.objectContaining({ searchAttributes: false }) }),
    );
    expect(result.kind === 'start' && result.starts[0]).not.toHaveProperty('searchAttributes');
    // The default tags them, and leaves the workflow input without the flag.
    const tagged = processImageInput(loadConfig({}, { useDevState: false }), { bucket: 'b', key: 'k' });
    expect(tagged).not.toHaveProperty('searchAttributes');
  });

  it('gives the same ids to a redelivered message, whatever its message id', () => {
    expect(plan('s3-two-records', 'm-1')).toEqual(plan('s3-two-records', 'm-2'));
    const result = plan('s3-two-records');
    expect(result.kind === 'start' && result.starts).toHaveLength(2);
  });

  it('starts the workflow an envelope names with its input', () => {
    expect(plan('envelope')).toMatchObject({
      kind: 'start',
      starts: [{ workflowType: 'echoWorkflow', input: { day: '2025-03-14' } }],
    });
  });

  it('gives an image run started from an envelope that envelope as its message, so its dead letter redrives', () => {
    const body = JSON.stringify({ workflow: IMAGE_WORKFLOW, id: 'upload-7', input: { bucket: 'in', key: 'a.jpg' } });
    expect(planMessage(parseMessage(body), options(body))).toMatchObject({
      kind: 'start',
      starts: [{ workflowType: IMAGE_WORKFLOW, input: { bucket: 'in', key: 'a.jpg', message: body } }],
    });
    // Other workflows get their input as sent.
    const echo = JSON.stringify({ workflow: 'echoWorkflow', id: '1', input: { day: 'x' } });
    const echoPlan = planMessage(parseMessage(echo), options(echo));
    expect(echoPlan.kind === 'start' && echoPlan.starts[0]!.input).toEqual({ day: 'x' });
  });

  it('rejects an envelope naming an unknown workflow, listing the known ones', () => {
    const body = JSON.stringify({ workflow: 'nopeWorkflow', id: '1', input: {} });
    expect(planMessage(parseMessage(body), options(body))).toEqual({
      kind: 'reject',
      errorType: 'UnknownWorkflow',
      reason: 'unknown workflow "nopeWorkflow" (the worker serves: echoWorkflow, processImageWorkflow)',
    });
  });

  it('rejects an envelope whose input is not an object', () => {
    const body = JSON.stringify({ workflow: 'echoWorkflow', id: '1', input: [1] });
    expect(planMessage(parseMessage(body), options(body))).toMatchObject({
      kind: 'reject',
      errorType: 'UnparseableMessage',
    });
  });

  it('passes ignored and unparseable messages through', () => {
    expect(plan('s3-test-event')).toEqual({ kind: 'ignored', reason: 's3:TestEvent' });
    expect(planMessage(parseMessage('nope'), options('nope'))).toMatchObject({ kind: 'reject' });
  });
});
