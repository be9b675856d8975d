import { parseDatabaseUrl } from '../../../src/db/connection';

/** The error's message goes into the activity failure, the workflow history and the SNS notification. */
function messageOf(url: string): string {
  try {
    parseDatabaseUrl(url);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`${url} was accepted`);
}

describe('parseDatabaseUrl', () => {
  it('names the variable and the URL it does not understand, with the password hidden', () => {
    const message = messageOf('mysql://admin:hunter2@db.internal:3306/sales');
    expect(message).toContain('EBBFLOW_DATABASE_URL');
    expect(message).toContain('mysql://admin:***@db.internal:3306/sales');
    expect(message).not.toContain('hunter2');
  });

  it('hides the password of a mistyped URL that does not parse as one', () => {
    const message = messageOf('postgres//admin:hunter2@db.internal/sales');
    expect(message).toContain('admin:***@db.internal/sales');
    expect(message).not.toContain('hunter2');
  });

  it('reads PostgreSQL URLs and SQLite files', () => {
    expect(parseDatabaseUrl('postgresql://u:p@h/db')).toEqual({ kind: 'postgres', location: 'postgresql://u:p@h/db' });
    expect(parseDatabaseUrl('sqlite:///var/lib/ebbflow.db')).toEqual({
      kind: 'sqlite',
      location: '/var/lib/ebbflow.db',
    });
  });
});
