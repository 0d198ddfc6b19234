import { register } from 'tsx/esm/api';

export default async function globalTeardown() {
  register();
  const { default: stopServers } = await import('./stop-servers.ts');
  await stopServers();
}
