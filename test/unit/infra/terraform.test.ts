/**
 * Terraform cannot run here (its providers cannot be downloaded), so the modules are checked statically: every file
 * parses with HashiCorp's own HCL parser (compiled to WebAssembly in @cdktf/hcl2json), and the module conventions of
 * terraform-aws-modules hold. The same checks run on a broken copy to show that they can fail.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { loadConfig } from '../../../src/config';
import { unknownVariables } from './known-settings';

const root = path.resolve(__dirname, '../../..');
const terraformDir = path.join(root, 'infra/terraform');
const MODULE_FILES = ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf'];

type Blocks = Record<string, Record<string, Record<string, unknown>[]>>;
interface ParsedTf {
  variable?: Record<string, Record<string, unknown>[]>;
  output?: Record<string, Record<string, unknown>[]>;
  resource?: Blocks;
  module?: Record<string, Record<string, unknown>[]>;
  terraform?: Record<string, unknown>[];
}

function moduleDirs(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.name !== '.terraform');
  const here = entries.some((e) => e.isFile() && e.name.endsWith('.tf')) ? [dir] : [];
  return [...here, ...entries.filter((e) => e.isDirectory()).flatMap((e) => moduleDirs(path.join(dir, e.name)))];
}

/** Everything wrong with the Terraform under `dir`, one line per problem. */
async function terraformProblems(dir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const moduleDir of moduleDirs(dir)) {
    const rel = path.relative(dir, moduleDir) || '.';
    for (const file of MODULE_FILES) {
      if (!existsSync(path.join(moduleDir, file))) problems.push(`${rel}: ${file} is missing`);
    }
    const parsed: ParsedTf[] = [];
    for (const file of readdirSync(moduleDir).filter((f) => f.endsWith('.tf'))) {
      const text = readFileSync(path.join(moduleDir, file), 'utf8');
      try {
        parsed.push((await parse(file, text)) as ParsedTf);
      } catch (err) {
        problems.push(`${rel}/${file}: does not parse: ${(err as Error).message}`);
      }
      if (file === 'main.tf' && !/^#{20,}$/m.test(text)) problems.push(`${rel}/main.tf: no section banners`);
    }
    for (const tf of parsed) {
      for (const [name, [block]] of Object.entries(tf.variable ?? {})) {
        for (const key of ['description', 'type', 'default']) {
          if (!block || !(key in block)) problems.push(`${rel}: variable "${name}" has no ${key}`);
        }
      }
      for (const [name, [block]] of Object.entries(tf.output ?? {})) {
        if (!block || !('description' in block)) problems.push(`${rel}: output "${name}" has no description`);
      }
    }
    problems.push(...singletonProblems(rel, parsed));
  }
  return problems;
}

/** A resource type used once in a module is named `this`, or after the resource it belongs to (e.g. `dlq`). */
function singletonProblems(rel: string, parsed: ParsedTf[]): string[] {
  const byType = new Map<string, string[]>();
  for (const tf of parsed) {
    for (const [type, named] of Object.entries(tf.resource ?? {})) {
      byType.set(type, [...(byType.get(type) ?? []), ...Object.keys(named)]);
    }
  }
  const problems: string[] = [];
  for (const [type, names] of byType) {
    const otherNames = new Set([...byType].filter(([t]) => t !== type).flatMap(([, n]) => n));
    const [only] = names;
    if (names.length === 1 && only !== 'this' && !otherNames.has(only!)) {
      problems.push(`${rel}: ${type}.${only} is the only ${type}: name it "this"`);
    }
  }
  return problems;
}

async function parseFile(file: string): Promise<ParsedTf> {
  return (await parse(path.basename(file), readFileSync(file, 'utf8'))) as ParsedTf;
}

describe('infra/terraform', () => {
  it('has the root module, the three nested modules and the complete example', () => {
    const dirs = moduleDirs(terraformDir).map((d) => path.relative(terraformDir, d) || '.');
    expect(dirs.sort()).toEqual(
      [
        '.',
        'examples/complete',
        'modules/ecs-service',
        'modules/eks-roles',
        'modules/pipeline',
        'modules/schedule',
      ].sort(),
    );
  });

  it('parses, and follows the module conventions: four files, described/typed/defaulted variables, this', async () => {
    expect(await terraformProblems(terraformDir)).toEqual([]);
  });

  it('reports a parse error, a missing file, an incomplete variable and a misnamed singleton in a broken copy', async () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-tf-'));
    cpSync(terraformDir, copy, { recursive: true });
    const edit = (file: string, change: (text: string) => string): void =>
      writeFileSync(path.join(copy, file), change(readFileSync(path.join(copy, file), 'utf8')));
    writeFileSync(path.join(copy, 'modules/schedule/outputs.tf'), 'output "x" {\n  value = \n}\n');
    edit('modules/pipeline/variables.tf', (text) =>
      text.replace('  type        = bool\n  default     = true\n', '  type = bool\n'),
    );
    edit('modules/ecs-service/main.tf', (text) =>
      text.replace('"aws_ecs_task_definition" "this"', '"aws_ecs_task_definition" "main"'),
    );
    rmSync(path.join(copy, 'examples/complete/versions.tf'));

    expect((await terraformProblems(copy)).sort()).toEqual([
      'examples/complete: versions.tf is missing',
      'modules/ecs-service: aws_ecs_task_definition.main is the only aws_ecs_task_definition: name it "this"',
      'modules/pipeline: variable "create_dlq" has no default',
      expect.stringMatching(/^modules\/schedule\/outputs\.tf: does not parse: .*Invalid expression/),
    ]);
  });

  it('turns the DLQ on by default with redrive after 3 receives', async () => {
    const variables = await parseFile(path.join(terraformDir, 'modules/pipeline/variables.tf'));
    expect(variables.variable?.create_dlq?.[0]?.default).toBe(true);
    expect(String(variables.variable?.dlq?.[0]?.type)).toMatch(/max_receive_count\s*=\s*optional\(number,\s*3\)/);
  });

  it('raises a CloudWatch alarm on the first message in the DLQ, notifying the topic unless told otherwise', async () => {
    const main = await parseFile(path.join(terraformDir, 'modules/pipeline/main.tf'));
    const alarm = main.resource?.aws_cloudwatch_metric_alarm?.dlq?.[0];
    expect(alarm).toMatchObject({
      count: '${var.create_dlq && var.dlq.alarm ? 1 : 0}',
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: '${aws_sqs_queue.dlq[0].name}' },
      comparison_operator: 'GreaterThanThreshold',
      threshold: 0,
      alarm_actions: '${local.dlq_alarm_actions}',
    });
    const locals = (main as { locals?: Record<string, unknown>[] }).locals?.[0];
    expect(locals?.dlq_alarm_actions).toBe(
      '${var.dlq.alarm_actions != null ? var.dlq.alarm_actions : aws_sns_topic.this[*].arn}',
    );
    const variables = await parseFile(path.join(terraformDir, 'modules/pipeline/variables.tf'));
    expect(String(variables.variable?.dlq?.[0]?.type)).toMatch(/alarm\s*=\s*optional\(bool,\s*true\)/);
  });

  it('creates the worker service at zero tasks and sends the daily report envelope to the ingress queue', async () => {
    const main = await parseFile(path.join(terraformDir, 'main.tf'));
    const locals = (main as { locals?: Record<string, string>[] }).locals?.[0];
    expect(locals?.worker_desired_count).toMatch(/ebbflow\s*=\s*0\b/);
    expect(main.module?.worker?.[0]?.desired_count).toBe('${local.worker_desired_count}');
    expect(main.module?.worker?.[0]?.command).toEqual(['worker']);
    expect(main.module?.bridge?.[0]?.command).toEqual(['bridge']);
    expect(main.module?.daily_report_schedule?.[0]).toMatchObject({
      workflow: 'dailySalesReportWorkflow',
      id_prefix: 'daily-sales-',
      queue_arn: '${module.pipeline.queue_arn}',
    });
    const schedule = readFileSync(path.join(terraformDir, 'modules/schedule/main.tf'), 'utf8');
    expect(schedule).toContain('id       = "${var.id_prefix}<aws.scheduler.scheduled-time>"');
  });

  it('sets only environment variables that ebbflow reads', () => {
    const names = new Set<string>();
    for (const dir of moduleDirs(terraformDir)) {
      const text = readFileSync(path.join(dir, 'main.tf'), 'utf8');
      for (const match of text.matchAll(/^\s*((?:EBBFLOW|TEMPORAL|AWS)_[A-Z_]+)\s*=/gm)) names.add(match[1]!);
    }
    expect(names.size).toBeGreaterThan(10);
    expect(unknownVariables(names)).toEqual([]);
  });

  it('notifies the queue of images under uploads/ only, one rule per suffix', async () => {
    const main = await parseFile(path.join(terraformDir, 'modules/pipeline/main.tf'));
    const notification = main.resource?.aws_s3_bucket_notification?.this?.[0] as {
      dynamic: { queue: { for_each: string; content: Record<string, string>[] }[] };
    };
    expect(notification.dynamic.queue[0]!.for_each).toBe('${local.notification_rules}');
    expect(notification.dynamic.queue[0]!.content[0]).toMatchObject({
      filter_prefix: '${var.notification.filter_prefix}',
      filter_suffix: '${queue.value}',
    });
    const variables = await parseFile(path.join(terraformDir, 'modules/pipeline/variables.tf'));
    const type = String(variables.variable?.notification?.[0]?.type);
    expect(type).toMatch(/filter_prefix\s*=\s*optional\(string,\s*"uploads\/"\)/);
    expect(type).toMatch(/filter_suffixes\s*=\s*optional\(list\(string\),\s*\["\.jpg", "\.jpeg", "\.png"/);
  });

  it('notifies exactly the endings the bridge takes, in lower and upper case, and tells the bridge the same', async () => {
    const variables = await parseFile(path.join(terraformDir, 'modules/pipeline/variables.tf'));
    const type = String(variables.variable?.notification?.[0]?.type);
    const listed = /filter_suffixes\s*=\s*optional\(list\(string\),\s*\[([^\]]*)\]/.exec(type)?.[1] ?? '';
    const suffixes = [...listed.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    const code = loadConfig({}, { useDevState: false }).image.keySuffixes;
    expect(new Set(suffixes)).toEqual(new Set([...code, ...code.map((s) => s.toUpperCase())]));
    const main = await parseFile(path.join(terraformDir, 'main.tf'));
    const env = String((main as { locals?: Record<string, unknown>[] }).locals?.[0]?.common_environment);
    expect(env).toMatch(/EBBFLOW_IMAGE_KEY_PREFIX\s*=\s*module\.pipeline\.image_key_prefix/);
    expect(env).toMatch(/EBBFLOW_IMAGE_KEY_SUFFIXES\s*=\s*join\(",", module\.pipeline\.image_key_suffixes\)/);
  });

  it('lets the bridge keep a dead letter too large for the queue in S3, and expires those bodies after the DLQ', async () => {
    const main = await parseFile(path.join(terraformDir, 'main.tf'));
    const locals = (main as { locals?: Record<string, string>[] }).locals?.[0];
    expect(locals?.bridge_statements).toMatch(
      /sid\s*=\s*"StoreLargeDeadLetters"\s*actions\s*=\s*\["s3:PutObject"\]\s*resources\s*=\s*\["\$\{module\.pipeline\.output_bucket_arn\}\/dead-letters\/\*"\]/,
    );
    // Both senders read the queue's size limit first.
    expect(locals?.worker_statements).toMatch(
      /"SendFailuresToDlq"\s*actions\s*=\s*\["sqs:SendMessage", "sqs:GetQueueAttributes"\]/,
    );
    const pipeline = await parseFile(path.join(terraformDir, 'modules/pipeline/main.tf'));
    const rules = (
      pipeline.resource?.aws_s3_bucket_lifecycle_configuration?.output?.[0] as {
        rule: { id: string; filter: { prefix?: string }[]; expiration?: { days: string }[] }[];
      }
    ).rule;
    expect(rules.find((r) => r.id === 'expire-dead-letter-bodies')).toMatchObject({
      filter: [{ prefix: 'dead-letters/' }],
      expiration: [{ days: '${ceil(var.dlq.message_retention_seconds / 86400) + 1}' }],
    });
  });

  it('writes no partition into ARNs (GovCloud and China have their own)', () => {
    for (const dir of moduleDirs(terraformDir)) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.tf'))) {
        const text = readFileSync(path.join(dir, file), 'utf8').replace(/^\s*#.*$/gm, '');
        expect({ file: path.relative(terraformDir, path.join(dir, file)), arn: /"arn:aws:/.test(text) }).toEqual({
          file: path.relative(terraformDir, path.join(dir, file)),
          arn: false,
        });
      }
    }
  });
});
