/**
 * Real `terraform plan`s (Terraform on the PATH) of the modules with their AWS resources mocked by `terraform_data`
 * (see plan-mock.ts): every count and for_each must be decidable when the plan is made, also when the secrets, the
 * subnets and the VPC come from resources of the same configuration, in every scaling mode, with and without EKS.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockTree } from './plan-mock';

const root = path.resolve(__dirname, '../../..');
const terraformDir = path.join(root, 'infra/terraform');

/** A configuration that uses the module four ways, with inputs unknown until apply where a user's would be. */
const CALLER = {
  resource: { terraform_data: { secret: [{}], vpc: [{}], subnet: [{ count: 2 }], cluster: [{}] } },
  module: Object.fromEntries(
    [
      ['ecs_scaler', { scaler: { mode: 'ebbflow' } }],
      ['target_tracking', { scaler: { mode: 'target-tracking' }, worker: { runs_bridge: true } }],
      ['fixed', { scaler: { mode: 'none' }, eks: { cluster_name: '${terraform_data.cluster.id}' } }],
      [
        'irsa',
        {
          eks: {
            cluster_name: 'c',
            identity: 'irsa',
            oidc_provider_arn: '${terraform_data.cluster.id}',
            oidc_issuer: 'oidc.eks.eu-west-1.amazonaws.com/id/X',
          },
        },
      ],
    ].map(([name, settings]) => [
      name,
      {
        source: './module',
        name: name as string,
        image: 'registry/ebbflow:1',
        temporal: { address: 'ns.acct.tmprl.cloud:7233' },
        secrets: { TEMPORAL_API_KEY: '${terraform_data.secret.id}' },
        vpc_id: '${terraform_data.vpc.id}',
        subnet_ids: '${terraform_data.subnet[*].id}',
        ...(settings as object),
      },
    ]),
  ),
};

function terraform(dir: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync('terraform', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TF_IN_AUTOMATION: '1', NO_COLOR: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Mocks a copy of `source` (infra/terraform or a broken copy) and plans `caller`; the plan's output. */
async function plan(source: string, caller: object = CALLER): Promise<{ status: number | null; output: string }> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-plan-'));
  cpSync(source, path.join(work, 'module'), { recursive: true });
  await mockTree(path.join(work, 'module'));
  writeFileSync(path.join(work, 'main.tf.json'), JSON.stringify(caller, null, 1));
  const init = terraform(work, ['init', '-input=false', '-backend=false', '-no-color']);
  if (init.status !== 0) return init;
  return terraform(work, ['plan', '-input=false', '-lock=false', '-refresh=false', '-no-color']);
}

describe('terraform plan (AWS resources mocked by terraform_data)', () => {
  it('plans the module as an ECS scaler, target tracking, a fixed count with Pod Identity, and IRSA', async () => {
    const result = await plan(terraformDir);
    expect(result.output).not.toMatch(/Error:/);
    expect(result.status).toBe(0);
    // The target-tracking instance has the policy; the ebbflow one its scaler service; only EKS ones the roles.
    expect(result.output).toMatch(/module\.target_tracking\.terraform_data\.aws_appautoscaling_policy__worker\[0\]/);
    expect(result.output).toMatch(
      /module\.ecs_scaler\.module\.scaler\[0\]\.terraform_data\.aws_ecs_service__this\[0\]/,
    );
    expect(result.output).toMatch(/module\.ecs_scaler\.module\.worker\.terraform_data\.aws_ecs_service__scaled\[0\]/);
    expect(result.output).toMatch(/module\.fixed\.module\.worker\.terraform_data\.aws_ecs_service__this\[0\]/);
    expect(result.output).toMatch(
      /module\.fixed\.module\.eks_roles\[0\]\.terraform_data\.aws_eks_pod_identity_association__this\["ebbflow-worker"\]/,
    );
    expect(result.output).not.toMatch(
      /module\.irsa\.module\.eks_roles\[0\]\.terraform_data\.aws_eks_pod_identity_association/,
    );
  });

  it("keeps the bridge service in Terraform's hands (runs_bridge stops it) and gives every service a health check", async () => {
    const result = await plan(terraformDir);
    const bridge =
      /# module\.target_tracking\.module\.bridge\.terraform_data\.aws_ecs_service__this\[0\] will be created[\s\S]*?\n {4}\}/.exec(
        result.output,
      );
    expect(bridge?.[0]).toMatch(/desired_count\s+=\s+0\b/);
    expect(result.output).not.toMatch(/module\.\w+\.module\.bridge\.terraform_data\.aws_ecs_service__scaled/);
    const main = readFileSync(path.join(terraformDir, 'main.tf'), 'utf8');
    for (const [service, port, probe] of [
      ['worker', 9464, '/metrics'],
      ['bridge', 9466, '/healthz'],
      ['scaler', 9465, '/healthz'],
    ] as const) {
      const block = new RegExp(`module "${service}" \\{[\\s\\S]*?\\n\\}`).exec(main)![0];
      expect(block).toMatch(new RegExp(`health_check\\s+= \\{ port = ${port}, path = "${probe}" \\}`));
      expect(block).toContain('depends_on = [aws_ecs_cluster_capacity_providers.this]');
    }
  });

  it('refuses no subnets, a localhost Temporal, no DLQ, a grace Fargate cannot give, a fixed count of no workers and an output bucket that is the input bucket, naming each', async () => {
    const base = CALLER.module.ecs_scaler;
    const caller = {
      resource: CALLER.resource,
      module: {
        no_subnets: { ...base, subnet_ids: [] },
        local_temporal: { ...base, temporal: { address: 'localhost:7233' } },
        no_dlq: { ...base, pipeline: { create_dlq: false } },
        long_grace: { ...base, worker: { shutdown_grace_seconds: 110 } },
      },
    };
    const result = await plan(terraformDir, caller);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/Set subnet_ids \(at least one\)/);
    expect(result.output).toMatch(/localhost is the task itself/);
    expect(result.output).toMatch(/pipeline.create_dlq must stay true/);
    expect(result.output).toMatch(/worker.shutdown_grace_seconds must be from 10 to 105/);
    // Validations that read other variables run once the plain ones pass: a plan of their own.
    const same = { ...base, pipeline: { output_bucket_name: `${base.name}-input` } };
    const noWorkers = { ...base, name: 'no_workers', scaler: { mode: 'none' }, worker: { desired_count: 0 } };
    const bucket = await plan(terraformDir, {
      resource: CALLER.resource,
      module: { same_bucket: same, no_workers: noWorkers },
    });
    expect(bucket.output).toMatch(/runs worker.desired_count tasks and nothing\s+else\s+starts\s+one/);
    expect(bucket.status).not.toBe(0);
    expect(bucket.output).toMatch(/output_bucket_name must differ from the input bucket/);
  });

  it('fails with "Invalid count argument" when a count tests ARNs known only after apply, as before', async () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-tf-broken-'));
    cpSync(terraformDir, copy, { recursive: true });
    const file = path.join(copy, 'modules/ecs-service/main.tf');
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      text.replace(
        'count = length(var.task_role_statements) > 0 ? 1 : 0',
        'count = length([for s in var.task_role_statements : s if length(compact(s.resources)) > 0]) > 0 ? 1 : 0',
      ),
    );
    const result = await plan(copy);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/Invalid count argument/);
  });
});
