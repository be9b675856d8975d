export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__EBBFLOW_TEST_PROCESSES__ ?? []).map((p) => p.stop(5000)));
}
