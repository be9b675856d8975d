import { describeFailure } from '../../src/cli/context';
import { ConfigError, serviceErrorLine, StackError, TemporalUnreachableError, UsageError } from '../../src/errors';

describe('describeFailure', () => {
  it('prints known errors as their message: 2 for a wrong command or setting, 1 for a service that is down', () => {
    expect(describeFailure(new ConfigError('EBBFLOW_DLQ_URL is not set'))).toEqual({
      message: 'EBBFLOW_DLQ_URL is not set',
      exitCode: 2,
    });
    expect(describeFailure(new UsageError('no such file or folder: x')).exitCode).toBe(2);
    expect(describeFailure(new StackError('port 7233 is taken')).exitCode).toBe(1);
    expect(describeFailure(new TemporalUnreachableError('cannot reach Temporal at x:1'))).toEqual({
      message: 'cannot reach Temporal at x:1',
      exitCode: 1,
    });
  });

  it('names the address and the reason of a connection that failed, and where AWS calls go', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 5999,
      // As the AWS SDK throws it.
      $metadata: { attempts: 3, totalRetryDelay: 300 },
    });
    const { message, exitCode } = describeFailure(refused);
    expect(message).toMatch(/^cannot connect to 127\.0\.0\.1:5999: connection refused\. .*AWS_ENDPOINT_URL/);
    expect(exitCode).toBe(1);
  });

  it('does not point at AWS when another service refused, such as the database', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 5432,
    });
    const { message } = describeFailure(refused);
    expect(message).toBe(
      'cannot connect to 127.0.0.1:5432: connection refused. Check that the service runs there. `ebbflow config` shows what is in effect.',
    );
    expect(message).not.toMatch(/AWS/);
  });

  it('says how to give the AWS SDK credentials when it found none, exit 2', () => {
    // As the AWS SDK's credential chain throws it.
    const err = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
      tryNextLink: false,
    });
    const { message, exitCode } = describeFailure(err);
    expect(message).toMatch(/^no AWS credentials: /);
    expect(message).toContain('AWS_PROFILE');
    expect(message).toContain('EBBFLOW_STATE_DIR');
    expect(exitCode).toBe(2);
  });

  it('names a file the command cannot open and why, exit 2', () => {
    const missing = Object.assign(new Error("ENOENT: no such file or directory, open 'arrivals.csv'"), {
      code: 'ENOENT',
      syscall: 'open',
      path: 'arrivals.csv',
    });
    expect(describeFailure(missing)).toEqual({ message: 'arrivals.csv: no such file or folder', exitCode: 2 });
    const denied = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'open', path: '/root/x.yaml' });
    expect(describeFailure(denied).message).toBe('/root/x.yaml: permission denied');
    // A code without a path is not about a file the command was given.
    const bare = Object.assign(new Error('ENOENT somewhere'), { code: 'ENOENT' });
    expect(describeFailure(bare).message).toMatch(/^Error: ENOENT somewhere/);
  });

  it('gives an AWS refusal its HTTP status, code and message', () => {
    const err = Object.assign(new Error('The specified bucket does not exist'), {
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    });
    expect(describeFailure(err)).toEqual({
      message: 'AWS refused the request: NoSuchBucket: The specified bucket does not exist (HTTP 404)',
      exitCode: 1,
    });
  });

  it('tells what to do, exit 2, when Temporal refuses what the command asked for', () => {
    const named = (name: string, fields: object) => Object.assign(new Error('from the SDK'), { name, ...fields });
    expect(describeFailure(named('ScheduleNotFoundError', { scheduleId: 'daily' }))).toEqual({
      message: 'no schedule daily: `ebbflow schedule list` shows the schedules there are',
      exitCode: 2,
    });
    expect(describeFailure(named('ScheduleAlreadyRunning', { scheduleId: 'daily' })).message).toMatch(
      /^schedule daily exists already: .*`ebbflow schedule delete daily`.*another --id$/,
    );
    expect(describeFailure(named('WorkflowExecutionAlreadyStartedError', { workflowId: 'etl-1' })).exitCode).toBe(2);
    // As the SDK wraps a gRPC INVALID_ARGUMENT.
    const grpc = Object.assign(new Error('3 INVALID_ARGUMENT: invalid query'), { code: 3, details: 'invalid query' });
    const invalid = named('ServiceError', { cause: Object.assign(grpc, { metadata: {} }) });
    expect(describeFailure(invalid)).toEqual({ message: 'Temporal refused the request: invalid query', exitCode: 2 });
  });

  it('keeps the stack of anything unexpected', () => {
    const err = new TypeError('x is undefined');
    expect(describeFailure(err)).toEqual({ message: err.stack, exitCode: 1 });
  });
});

describe('serviceErrorLine', () => {
  it('renders a failed service call in one line: name, first line of the message, HTTP status', () => {
    const denied = Object.assign(new Error('User is not authorized\nRequest id: abc'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    expect(serviceErrorLine(denied)).toBe('AccessDenied: User is not authorized (HTTP 403)');
    expect(serviceErrorLine(new Error('socket hang up'))).toBe('socket hang up');
    expect(serviceErrorLine('plain text')).toBe('plain text');
  });
});
