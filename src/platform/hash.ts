/** SHA-256 of some bytes. Two adapters give the same bytes: Web Crypto (any runtime) and `node:crypto` (`node-hash.ts`). */
export type Sha256 = (data: Uint8Array<ArrayBuffer>) => Uint8Array | Promise<Uint8Array>;

/** The Web Crypto adapter. */
export const webCryptoSha256: Sha256 = async (data) => new Uint8Array(await crypto.subtle.digest('SHA-256', data));
