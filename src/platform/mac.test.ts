import { describe, expect, it } from 'vitest';
import { parseKeyRing } from './keyring.js';
import { webCryptoMac } from './mac.js';
import { nodeMac } from './node-mac.js';

const ring = parseKeyRing(`k1:${'s'.repeat(40)},k0:${'t'.repeat(40)}`);

describe('MAC adapters', () => {
  it('compute the same bytes on Web Crypto and node:crypto, per key and purpose', async () => {
    for (const key of ring.keys.values()) {
      const web = await webCryptoMac(key, 'waiting-room-token');
      const node = await nodeMac(key, 'waiting-room-token');
      const data = 'k1.eyJyIjoibWFpbiJ9';
      const signature = await web.sign(data);
      expect(signature).toHaveLength(32);
      expect(Buffer.from(await node.sign(data)).equals(Buffer.from(signature))).toBe(true);
      expect(await node.verify(data, signature)).toBe(true);
      expect(await web.verify(data, await node.sign(data))).toBe(true);
    }
    const a = await nodeMac(ring.current, 'waiting-room-token');
    const b = await nodeMac(ring.keys.get('k0')!, 'waiting-room-token');
    expect(Buffer.from(await a.sign('x')).equals(Buffer.from(await b.sign('x')))).toBe(false);
  });

  it('reject a wrong, truncated or empty signature', async () => {
    for (const factory of [webCryptoMac, nodeMac]) {
      const mac = await factory(ring.current, 'waiting-room-token');
      const good = new Uint8Array(await mac.sign('payload'));
      const flipped = new Uint8Array(good);
      flipped[0] = flipped[0]! ^ 1;
      expect(await mac.verify('payload', flipped)).toBe(false);
      expect(await mac.verify('payload', good.slice(0, 31))).toBe(false);
      expect(await mac.verify('payload', new Uint8Array(0))).toBe(false);
      expect(await mac.verify('other', good)).toBe(false);
    }
  });
});
