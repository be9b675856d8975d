/**
 * ebbflow's search attributes on a namespace: registered by the dev server at start and by `ebbflow setup` on a
 * cluster, and checked by the worker and the bridge before they take work, so that a namespace without them is a
 * clear error at start rather than image runs whose first workflow task fails until someone registers them.
 */
import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../common/constants';
import { ConfigError } from '../errors';
import type { Logger } from '../logger';
import { grpcCode } from './connection';

type OperatorService = temporal.api.operatorservice.v1.OperatorService;

const GRPC_NOT_FOUND = 5;

/** What both connection kinds (client and worker) offer. */
interface OperatorConnection {
  readonly operatorService: Pick<OperatorService, 'listSearchAttributes'>;
}

/** ebbflow's search attributes the namespace does not have. */
export async function missingSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  return Object.values(SEARCH_ATTRIBUTES).filter((name) => !have.has(name));
}

/** Registers whichever of ebbflow's search attributes the namespace lacks (as Keyword); returns their names. */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const missing = await missingSearchAttributes(client.connection, namespace);
  if (missing.length === 0) return [];
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  return missing;
}

/**
 * Throws a ConfigError naming the fixes when the namespace lacks ebbflow's search attributes. When the namespace's
 * attributes cannot be listed (a role without that permission), logs a warning and lets the process start.
 */
export async function checkSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
  logger: Logger,
): Promise<void> {
  let missing: string[];
  try {
    missing = await missingSearchAttributes(connection, namespace);
  } catch (err) {
    if (grpcCode(err) === GRPC_NOT_FOUND) {
      throw new ConfigError(
        `namespace "${namespace}" was not found (${(err as Error).message}): check TEMPORAL_NAMESPACE ` +
          '(Temporal Cloud: <namespace>.<account>)',
      );
    }
    logger.warn('could not list the namespace search attributes; starting without checking them', {
      namespace,
      error: err,
    });
    return;
  }
  if (missing.length === 0) return;
  const names = missing.join(' and ');
  throw new ConfigError(
    `namespace "${namespace}" has no search attribute${missing.length > 1 ? 's' : ''} ${names}, which image runs ` +
      'are tagged with: register them once with `ebbflow setup` (or as type Keyword in the Temporal UI, tcld or ' +
      '`temporal operator search-attribute create`), or set EBBFLOW_IMAGE_SEARCH_ATTRIBUTES=false to run without them',
  );
}

/** Keyword search attributes, name → value, as the SDK takes them at start. */
export function searchAttributePairs(
  attributes: Record<string, string> | undefined,
): SearchAttributePair[] | undefined {
  if (!attributes) return undefined;
  return Object.entries(attributes).map(([name, value]) => ({
    key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD),
    value,
  }));
}
