import { rmSync } from 'node:fs';

interface Servers {
  backends: { close(): Promise<void> };
  postgres: { stop(): Promise<void> };
  mariadb: { stop(): Promise<void> };
  trino?: { stop(): Promise<void> };
}

export default async function globalTeardown(): Promise<void> {
  if (process.env.TEST_ASSEMBLY_ROOT) rmSync(process.env.TEST_ASSEMBLY_ROOT, { recursive: true, force: true });
  const servers = (globalThis as Record<string, unknown>).__warehouseTestServers as Servers | undefined;
  await Promise.all([servers?.backends.close(), servers?.postgres.stop(), servers?.mariadb.stop(), servers?.trino?.stop()]);
}
