import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { tools } from '../../../src/dev/processes';

/** The local stack's emulator: the venv's Python running scripts/emulator.py. */
const emulator = tools.emulator();

/**
 * Runs moto's own SQS backend in-process, with or without the local emulator's shortcuts, and reports how many
 * messages one receive hands out from each queue: one kept for 60 s holding a message sent two minutes ago, and the
 * same holding a fresh one, and one kept for the default four days holding a message sent two minutes ago.
 */
function receivedCounts(shortcuts: boolean): Record<string, number> {
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(path.dirname(emulator.args[0]!))})
import emulator
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import unix_time_millis
from moto.sqs.models import SQSBackend
if ${shortcuts ? 'True' : 'False'}:
    emulator.install_shortcuts()
backend = SQSBackend("us-east-1", DEFAULT_ACCOUNT_ID)
ages = {"expired": 120_000, "fresh": 0, "default-retention": 120_000}
for name, age in ages.items():
    attributes = {} if name == "default-retention" else {"MessageRetentionPeriod": "60"}
    backend.create_queue(name, **attributes)
    message = backend.send_message(name, "photo")
    message.sent_timestamp = int(unix_time_millis()) - age
out = {name: len(backend.receive_message(name, 10, 0, 30)) for name in ages}
print(json.dumps(out))
`;
  const output = execFileSync(emulator.command, ['-c', script], { encoding: 'utf8' });
  return JSON.parse(output) as Record<string, number>;
}

describe("the local AWS emulator's SQS shortcut", () => {
  test('hands out exactly the messages moto itself does: none past their queue retention period', () => {
    const expected = { expired: 0, fresh: 1, 'default-retention': 1 };
    expect(receivedCounts(false)).toEqual(expected);
    expect(receivedCounts(true)).toEqual(expected);
  });
});
