/**
 * A local HTTP server that serves files of one directory at `/audio/<file>`, for jobs whose
 * source is a `url` (the worker downloads it; no storage involved).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

export interface AudioHost {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The URL of `file` (a name inside the served directory). */
  urlOf(file: string): string;
  close(): Promise<void>;
}

export async function startAudioHost(dir: string): Promise<AudioHost> {
  const server = createServer((req, res) => {
    const file = (req.url ?? '').replace(/^\/audio\//, '');
    if (!/^[A-Za-z0-9._-]+$/.test(file) || basename(file) !== file) return void res.writeHead(404).end();
    readFile(join(dir, file)).then(
      (body) => res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    urlOf: (file) => `${url}/audio/${file}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
