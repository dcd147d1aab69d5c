import type { RoomConfig } from '../config/schema.js';

/** How a bypass secret is shown by the API and kept in the audit log: its last four characters. */
export function maskSecret(secret: string): string {
  return `••••${secret.slice(-4)}`;
}

/** Settings with their bypass secrets masked (anything else unchanged), for the API and the audit log. */
export function maskedSecrets<T extends { bypass?: RoomConfig['bypass'] | undefined }>(settings: T): T {
  if (!settings.bypass) return settings;
  return { ...settings, bypass: { ...settings.bypass, secrets: settings.bypass.secrets.map(maskSecret) } };
}

/**
 * A settings patch with the bypass secrets in force kept, so an operator never has to know them
 * to change the other bypass rules: a `bypass` object that leaves `secrets` out keeps them all,
 * and a masked value sent back (as `GET …/settings` shows it) keeps the secret it masks. Anything
 * else in `secrets` is taken as it is (new secrets; `[]` removes them all).
 */
export function withSecretsKept(input: unknown, inForce: readonly string[]): unknown {
  if (typeof input !== 'object' || input === null || !('bypass' in input)) return input;
  const bypass = (input as { bypass: unknown }).bypass;
  if (typeof bypass !== 'object' || bypass === null || Array.isArray(bypass)) return input;
  const given = (bypass as { secrets?: unknown }).secrets;
  if (given === undefined) return { ...input, bypass: { ...bypass, secrets: [...inForce] } };
  if (!Array.isArray(given)) return input;
  const unused = [...inForce];
  const secrets = given.map((value: unknown) => {
    const at = typeof value === 'string' ? unused.findIndex((secret) => maskSecret(secret) === value) : -1;
    return at < 0 ? value : unused.splice(at, 1)[0];
  });
  return { ...input, bypass: { ...bypass, secrets } };
}
