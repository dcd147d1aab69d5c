/**
 * The pre-queue lottery's order, auditable by anyone: entries sorted by the lowercase hex
 * SHA-256 of `<seed>:<entry>` (ties, which SHA-256 makes practically impossible, by entry).
 * The seed is fixed by the first entry, its SHA-256 is shown on the countdown page and the
 * lottery record before the opening (a commitment), and the seed itself is published once the
 * lottery is drawn, so the order can be recomputed from the seed and the entry list:
 *
 *   for e in $(cat entries.txt); do printf '%s %s\n' "$(printf '%s:%s' "$SEED" "$e" | sha256sum | cut -c1-64)" "$e"; done | sort | cut -d' ' -f2
 */

/** Lowercase hex SHA-256 of a UTF-8 string (Web Crypto: Node and Workers alike). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** The lottery order of `entries` under `seed` (duplicates kept once). */
export async function lotteryOrder(seed: string, entries: readonly string[]): Promise<string[]> {
  const unique = [...new Set(entries)];
  const keyed = await Promise.all(unique.map(async (entry) => ({ entry, key: await sha256Hex(`${seed}:${entry}`) })));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.entry < b.entry ? -1 : 1));
  return keyed.map((item) => item.entry);
}

/** How the order is computed, in words, for the published record. */
export const LOTTERY_ALGORITHM =
  'Entries are sorted by the lowercase hexadecimal SHA-256 of "<seed>:<entry>" (UTF-8), smallest first; that order is the order of places in line.';
