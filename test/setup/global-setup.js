// Jest loads global setup outside its transform pipeline; tsx lets it import the TypeScript sources.
import { register } from 'tsx/esm/api';

export default async function globalSetup() {
  register();
  const { default: startServers } = await import('./start-servers.ts');
  await startServers();
}
