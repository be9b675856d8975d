import { GetBucketLocationCommand } from '@aws-sdk/client-s3';
import { createAwsClients } from '../../../src/aws/clients';
import { pipelineNames, provisionPipeline } from '../../../src/aws/provision';
import { testConfig, uniqueName } from '../../support/stack';

describe('provisionPipeline', () => {
  it('creates the buckets in a region other than us-east-1, and again without error', async () => {
    const aws = createAwsClients({ ...testConfig().aws, region: 'eu-west-1' });
    const names = pipelineNames(uniqueName('region'));
    const resources = await provisionPipeline(aws, names);
    const location = await aws.s3.send(new GetBucketLocationCommand({ Bucket: resources.inputBucket }));
    expect(location.LocationConstraint).toBe('eu-west-1');
    await expect(provisionPipeline(aws, names)).resolves.toMatchObject({ inputBucket: names.inputBucket });
  });
});
