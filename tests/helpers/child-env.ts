/**
 * A minimal environment for a Node child process a test starts, with `extra` on top. It keeps
 * what the shifted-clock run (`npm run test:shifted-clock`) needs every Node process to inherit:
 * `NODE_OPTIONS` and `SANH_CLOCK_SHIFT` (see CONTRIBUTING.md).
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const name of ['NODE_OPTIONS', 'SANH_CLOCK_SHIFT'] as const) if (process.env[name] !== undefined) kept[name] = process.env[name];
  return { ...kept, ...extra };
}
