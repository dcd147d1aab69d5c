/** How a bypass secret is shown by the API and kept in the audit log: its last four characters. */
export function maskSecret(secret: string): string {
  return `••••${secret.slice(-4)}`;
}

/** Settings with their bypass secrets masked (anything else unchanged), for the API and the audit log. */
export function maskedSecrets<T extends { bypass?: { secrets?: readonly string[] } | undefined }>(settings: T): T {
  if (!settings.bypass?.secrets) return settings;
  return { ...settings, bypass: { ...settings.bypass, secrets: settings.bypass.secrets.map(maskSecret) } };
}

/**
 * A settings patch whose masked bypass secrets (as `GET …/settings` shows them) stand for the
 * secrets they mask, so an operator can keep some and add others without knowing them. A list
 * that comes out as the file's is sent as `null` (the file's, not a copy, so a rotation in the
 * file still applies). A `bypass` object without `secrets` leaves them as they are; `[]` removes
 * them all; anything else in the list is taken as a new secret.
 */
export function withSecretsKept(input: unknown, inForce: readonly string[], fromFile: readonly string[]): unknown {
  if (typeof input !== 'object' || input === null || !('bypass' in input)) return input;
  const bypass = (input as { bypass: unknown }).bypass;
  if (typeof bypass !== 'object' || bypass === null || Array.isArray(bypass)) return input;
  const given = (bypass as { secrets?: unknown }).secrets;
  if (!Array.isArray(given)) return input;
  const unused = [...inForce];
  const secrets = given.map((value: unknown) => {
    const at = typeof value === 'string' ? unused.findIndex((secret) => maskSecret(secret) === value) : -1;
    return at < 0 ? value : unused.splice(at, 1)[0];
  });
  const asFile = secrets.length === fromFile.length && secrets.every((secret, i) => secret === fromFile[i]);
  return { ...input, bypass: { ...bypass, secrets: asFile && fromFile.length > 0 ? null : secrets } };
}
