import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { SanhError } from './platform/errors.js';
import { errorMapper, type SanhEnv } from './platform/http.js';
import type { Logger } from './platform/logger.js';
import { proxyHandler, type ConnectionInfo } from './proxy/handler.js';
import type { OriginClient } from './proxy/port.js';
import type { WaitingRoom } from './waiting-room/index.js';

/** Everything the public app is built from. */
export interface AppDeps {
  waitingRoom: WaitingRoom;
  origin: OriginClient;
  logger: Logger;
  connection?: ConnectionInfo;
}

/**
 * The public app: Sảnh's own endpoints under `/_sanh/`, then the waiting room gate in front of
 * the proxy to the origin. Built from its dependencies only; the runtime entries wire them.
 */
export function createApp(deps: AppDeps): Hono<SanhEnv> {
  const app = new Hono<SanhEnv>();
  app.use(requestId({ headerName: 'sanh-request-id' }));
  app.onError(errorMapper(deps.logger));
  app.route('/_sanh', deps.waitingRoom.routes);
  app.all('/_sanh', () => {
    throw new SanhError('not_found', 'No such Sảnh endpoint.');
  });
  app.all('/_sanh/*', () => {
    throw new SanhError('not_found', 'No such Sảnh endpoint.');
  });
  app.use('*', deps.waitingRoom.gate);
  app.all('*', proxyHandler(deps.origin, deps.connection ?? { clientIp: () => undefined }));
  return app;
}
