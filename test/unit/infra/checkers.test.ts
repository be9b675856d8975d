/**
 * The tools of the trade on infra/, offline, as installed by `node scripts/bootstrap.js --infra`: terraform fmt,
 * tflint, the AWS provider's schema, checkov (Terraform, rendered Kubernetes, Dockerfile), kubeconform against the
 * Kubernetes 1.32 schemas, and hadolint. Each check also runs on a broken copy, to show that it can fail.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { schemaProblems, type ProviderSchema } from './provider-schema';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { paths } = require('../../../scripts/infra-tools.js') as {
  paths: Record<'tflint' | 'kubeconform' | 'checkov' | 'hadolint' | 'kubernetesSchemas' | 'providerSchema', string> & {
    kubernetesVersion: string;
  };
};

const root = path.resolve(__dirname, '../../..');
const terraformDir = path.join(root, 'infra/terraform');
const k8sDir = path.join(root, 'infra/k8s');

function run(cmd: string, args: string[], options: { cwd?: string; input?: string } = {}) {
  const result = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    env: { ...process.env, BC_SKIP_MAPPING: 'TRUE', NO_COLOR: '1', CHECKPOINT_DISABLE: '1' },
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function copyOf(dir: string): string {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-infra-'));
  cpSync(dir, copy, { recursive: true });
  return copy;
}
const edit = (file: string, change: (text: string) => string): void =>
  writeFileSync(file, change(readFileSync(file, 'utf8')));

/** checkov's failed checks as "CHECK resource", from its JSON report. */
function checkov(args: string[]): string[] {
  const { output } = run(paths.checkov, [...args, '--skip-download', '--quiet', '--compact', '-o', 'json']);
  const reports = ([] as { results?: { failed_checks?: { check_id: string; resource: string }[] } }[]).concat(
    JSON.parse(output.slice(output.search(/[[{]/))),
  );
  return reports.flatMap((r) => (r.results?.failed_checks ?? []).map((c) => `${c.check_id} ${c.resource}`));
}

/** Every kustomization under infra/k8s that is a deployable overlay (or the base). */
const overlays = ['base', ...readdirSync(path.join(k8sDir, 'overlays')).map((o) => `overlays/${o}`)];
const render = (dir: string): string => {
  const result = run('kubectl', ['kustomize', dir]);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${result.output}`);
  return result.output;
};

/** KEDA's kinds have no schema among Kubernetes' own; kubernetes.test.ts checks their fields. */
const KEDA_KINDS = 'ScaledObject,TriggerAuthentication';
function kubeconform(manifests: string) {
  return run(
    paths.kubeconform,
    [
      '-strict',
      '-summary',
      '-kubernetes-version',
      paths.kubernetesVersion,
      '-schema-location',
      `${paths.kubernetesSchemas}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      '-skip',
      KEDA_KINDS,
      '-',
    ],
    { input: manifests },
  );
}

describe('infra checkers', () => {
  describe('Terraform', () => {
    it('is formatted as terraform fmt writes it, and a misformatted copy is not', () => {
      expect(run('terraform', ['fmt', '-check', '-recursive', terraformDir]).status).toBe(0);
      const copy = copyOf(terraformDir);
      edit(path.join(copy, 'modules/schedule/main.tf'), (t) =>
        t.replace('  name = var.name', '  name    =   var.name'),
      );
      const result = run('terraform', ['fmt', '-check', '-recursive', copy]);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('modules/schedule/main.tf');
    });

    it('passes tflint with its built-in rules, and an unused variable in a copy is reported', () => {
      expect(run(paths.tflint, ['--chdir', terraformDir, '--recursive', '--no-color'])).toMatchObject({ status: 0 });
      const copy = copyOf(terraformDir);
      edit(path.join(copy, 'modules/schedule/variables.tf'), (t) => `${t}\nvariable "unused" {\n  type = string\n}\n`);
      const result = run(paths.tflint, ['--chdir', copy, '--recursive', '--no-color']);
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/variable "unused" is declared but not used/);
    });

    it("uses only resources, arguments and blocks of the AWS provider's schema, and a broken copy is caught", async () => {
      const schema = JSON.parse(readFileSync(paths.providerSchema, 'utf8')) as ProviderSchema;
      expect(await schemaProblems(terraformDir, schema)).toEqual([]);

      const copy = copyOf(terraformDir);
      edit(path.join(copy, 'modules/pipeline/main.tf'), (t) =>
        t
          .replace('visibility_timeout_seconds = var.ingress_queue', 'visibility_timeout = var.ingress_queue')
          .replace(
            'sqs_managed_sse_enabled    = var.ingress_queue.kms_master_key_id == null ? true : null',
            'sqs_managed_sse_enabled    = var.ingress_queue.kms_master_key_id == null',
          ),
      );
      edit(path.join(copy, 'modules/ecs-service/main.tf'), (t) =>
        t.replace('deployment_circuit_breaker {\n    enable   = true\n', 'deployment_circuit_breaker {\n'),
      );
      edit(path.join(copy, 'alarms.tf'), (t) =>
        t.replace('"aws_cloudwatch_log_metric_filter"', '"aws_cloudwatch_log_filter"'),
      );
      const problems = await schemaProblems(copy, schema);
      expect(problems).toEqual(
        expect.arrayContaining([
          'modules/pipeline/main.tf: aws_sqs_queue.this: no argument or block "visibility_timeout"',
          'modules/pipeline/main.tf: aws_sqs_queue.this: "sqs_managed_sse_enabled" conflicts with "kms_master_key_id": make one null when the other is set',
          'modules/ecs-service/main.tf: aws_ecs_service.this.deployment_circuit_breaker: required "enable" is missing',
          'alarms.tf: aws_cloudwatch_log_filter.workflow_failures: the provider has no resource aws_cloudwatch_log_filter',
        ]),
      );
    });

    it('has no unexplained checkov finding (each skip says why in place), and a copy without one skip fails', () => {
      expect(checkov(['-d', terraformDir, '--framework', 'terraform'])).toEqual([]);
      const copy = copyOf(terraformDir);
      edit(path.join(copy, 'modules/ecs-service/main.tf'), (t) => t.replace(/ *# checkov:skip=CKV_AWS_338:.*\n/, ''));
      // Only the module changed, to keep the run short.
      expect(checkov(['-d', path.join(copy, 'modules/ecs-service'), '--framework', 'terraform'])).toEqual(
        expect.arrayContaining([expect.stringMatching(/^CKV_AWS_338 .*aws_cloudwatch_log_group\.this/)]),
      );
    });
  });

  describe('Kubernetes', () => {
    it.each(overlays)('%s renders to manifests valid against the Kubernetes 1.32 schemas', (overlay) => {
      const result = kubeconform(render(path.join(k8sDir, overlay)));
      expect(result.output).toMatch(/Invalid: 0, Errors: 0/);
      expect(result.status).toBe(0);
    });

    it('reports a misspelt field and a wrong type in a broken copy', () => {
      const copy = copyOf(k8sDir);
      edit(path.join(copy, 'base/worker-deployment.yaml'), (t) =>
        t.replace('terminationGracePeriodSeconds:', 'terminationGracePeriod:'),
      );
      edit(path.join(copy, 'base/bridge-deployment.yaml'), (t) => t.replace('replicas: 1', "replicas: 'one'"));
      const result = kubeconform(render(path.join(copy, 'base')));
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/ebbflow-worker.*terminationGracePeriod/);
      expect(result.output).toMatch(/ebbflow-bridge.*replicas/);
    });

    it('has no unexplained checkov finding in any rendered overlay (one checkov run for all)', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-k8s-'));
      for (const overlay of overlays) {
        writeFileSync(path.join(dir, `${overlay.replace('/', '-')}.yaml`), render(path.join(k8sDir, overlay)));
      }
      expect(checkov(['-d', dir, '--framework', 'kubernetes'])).toEqual([]);
    });

    it('fails checkov when a copy drops a probe', () => {
      const copy = copyOf(k8sDir);
      edit(path.join(copy, 'base/scaler-deployment.yaml'), (t) => t.replace(/ {10}livenessProbe:\n( {12}.*\n)+/, ''));
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-k8s-'));
      writeFileSync(path.join(dir, 'rendered.yaml'), render(path.join(copy, 'base')));
      expect(checkov(['-d', dir, '--framework', 'kubernetes'])).toEqual(
        expect.arrayContaining([expect.stringMatching(/^CKV_K8S_8 Deployment\.\w+\.ebbflow-scaler/)]),
      );
    });
  });

  describe('Dockerfile', () => {
    const dockerfile = path.join(root, 'infra/Dockerfile');

    it('passes hadolint, and a copy with an unpinned apt-get install does not', () => {
      const clean = run(paths.hadolint, ['--no-color', dockerfile]);
      expect(clean.output).toBe('');
      expect(clean.status).toBe(0);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-docker-'));
      writeFileSync(path.join(dir, 'Dockerfile'), 'FROM debian:12\nRUN apt-get update && apt-get install -y curl\n');
      const broken = run(paths.hadolint, ['--no-color', path.join(dir, 'Dockerfile')]);
      expect(broken.status).not.toBe(0);
      expect(broken.output).toMatch(/DL3008/);
    });

    it('has no unexplained checkov finding', () => {
      expect(checkov(['-f', dockerfile, '--framework', 'dockerfile'])).toEqual([]);
    });
  });
});
