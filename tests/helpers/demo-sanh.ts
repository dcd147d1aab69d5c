import type { RoomFigures } from '../../src/admin/figures.js';
import { parseConfig } from '../../src/config/load.js';
import type { DemoPortalOptions } from '../../src/demo-portal/app.js';
import { startDemoPortal, type RunningDemoPortal } from '../../src/demo-portal/server.js';
import type { NodeSanh } from '../../src/entry/node-server.js';
import { startAdminSanh } from './admin-sanh.js';

const TOKEN = 'a'.repeat(32);

/** Sảnh on Node (in-memory store, admin listener) in front of the demo portal, as the timing tests drive them. */
export interface DemoSanh {
  portal: RunningDemoPortal;
  sanh: NodeSanh;
  /** An admin API call with an operate token (id `admin`); throws unless it answers 200. */
  admin(path: string, init?: RequestInit): Promise<unknown>;
  /** A room's figures from the admin API. */
  figures(room: string): Promise<RoomFigures>;
  close(): Promise<void>;
}

/** Starts the demo portal with `portal` options and Sảnh in front of it with the `config` file's content. */
export async function startDemoSanh(options: { portal: DemoPortalOptions; config: unknown }): Promise<DemoSanh> {
  const portal = await startDemoPortal({ port: 0, ...options.portal });
  const sanh = await startAdminSanh({ config: parseConfig(options.config), originUrl: portal.url, tokens: TOKEN, redis: false });
  const admin = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    const answer = await fetch(`${sanh.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
    if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${await answer.text()}`);
    return answer.json();
  };
  return {
    portal,
    sanh,
    admin,
    figures: async (room) => (await admin(`/api/rooms/${room}`)) as RoomFigures,
    async close() {
      await sanh.close();
      await portal.close();
    },
  };
}
