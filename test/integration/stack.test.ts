import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { connectClient } from '../../src/temporal/connection';
import { createTestPipeline } from '../support/stack';

describe('the test stack', () => {
  it('provisions a pipeline on the emulator and reaches the Temporal dev server', async () => {
    const { aws, config, resources } = await createTestPipeline('stack');
    const queues = await aws.sqs.send(new ListQueuesCommand({}));
    expect(queues.QueueUrls).toEqual(expect.arrayContaining([resources.ingressQueueUrl, resources.dlqUrl]));
    const client = await connectClient(config.temporal);
    const info = await client.workflowService.getSystemInfo({});
    expect(info.capabilities).toBeDefined();
    await client.connection.close();
  });
});
