interface Servers {
  backends: { close(): Promise<void> };
  postgres: { stop(): Promise<void> };
}

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__warehouseTestServers as Servers | undefined;
  await Promise.all([servers?.backends.close(), servers?.postgres.stop()]);
}
