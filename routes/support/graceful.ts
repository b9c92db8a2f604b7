import net from 'node:net';
import type { Server, ServerResponse } from 'node:http';

/** How a server stopped: every connection ended on its own, or some were cut after the grace period. */
export type Stopped = 'drained' | 'forced';

/**
 * Stopping a web process without failing a request: it stops accepting connections (under
 * pm2's cluster the other workers take them), answers what it holds, and ends every
 * connection only once it is done with it.
 *
 * Node's own `server.close()` also ends the idle keep-alive connections at once, and a
 * client that has just sent its next request on one of them sees the connection reset: a
 * failed request at every reload. Here the listening socket is closed alone; a request
 * still running, or arriving on a kept-alive connection, is answered with
 * `Connection: close`, so the client opens its next connection to another worker; an idle
 * connection ends at its keep-alive time-out (5 s), which clients are told and end theirs
 * before. After `graceMs` whatever is left is cut.
 */
export function gracefulServer(server: Server): { stop(graceMs: number): Promise<Stopped> } {
  const open = new Set<ServerResponse>();
  let stopping = false;
  const closing = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (stopping) return closing(res);
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  return {
    stop: (graceMs) =>
      new Promise((resolve) => {
        stopping = true;
        for (const res of open) closing(res);
        const force = setTimeout(() => {
          server.closeAllConnections();
          resolve('forced');
        }, graceMs);
        force.unref();
        net.Server.prototype.close.call(server, () => {
          clearTimeout(force);
          resolve('drained');
        });
      }),
  };
}
