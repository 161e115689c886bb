/**
 * A Standard Webhooks receiver for integration tests. Every request is verified with the
 * reference verifier (`standardwebhooks`) and recorded; what it answers is scripted per path:
 * a status (optionally with headers, e.g. Retry-After), or `'hang'` (never answer: the sender's
 * per-attempt timeout must end it). Once a path's script is used up it answers 200.
 *
 * Several receivers may share one `deliveries` list (a receiver that appears later on a port
 * that refused connections before, say), so one check sees everything that arrived.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type ReceiverReply = number | 'hang' | { status: number; headers?: Record<string, string> };

export interface WebhookDelivery {
  path: string;
  /** The `webhook-id` header: the event id, the same on every attempt of one event. */
  id: string;
  verified: boolean;
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** What the receiver answered (null: it never did). */
  answered: number | null;
  payload: { type: string; data: Record<string, unknown> & { jobId: string } };
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly deliveries: WebhookDelivery[];
  /** Answers the next requests to `path` with `replies`, in order. */
  script(path: string, replies: ReceiverReply[]): void;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  /** The `whsec_…` secret the service signs with. */
  secret: string;
  /** @defaultValue 0 (any free port) */
  port?: number;
  /** Shared list to record into. @defaultValue a new one */
  deliveries?: WebhookDelivery[];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const verifier = new Webhook(options.secret);
  const deliveries = options.deliveries ?? [];
  const scripts = new Map<string, ReceiverReply[]>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
    let verified = true;
    try {
      verifier.verify(raw, headers);
    } catch {
      verified = false;
    }
    const path = req.url ?? '';
    const reply: ReceiverReply = verified ? (scripts.get(path)?.shift() ?? 200) : 401;
    const delivery: WebhookDelivery = {
      path,
      id: headers['webhook-id'] ?? '',
      verified,
      receivedAt: Date.now(),
      answered: null,
      payload: JSON.parse(raw) as WebhookDelivery['payload'],
    };
    deliveries.push(delivery);
    if (reply === 'hang') return; // the socket stays open until the sender gives up or close()
    const { status, headers: replyHeaders } = typeof reply === 'number' ? { status: reply, headers: {} } : reply;
    delivery.answered = status;
    res.writeHead(status, replyHeaders).end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    deliveries,
    script: (path, replies) => void scripts.set(path, [...replies]),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Deliveries about `jobId`, optionally of one event type. */
export function deliveriesFor(deliveries: readonly WebhookDelivery[], jobId: string, type?: string): WebhookDelivery[] {
  return deliveries.filter((d) => d.payload.data.jobId === jobId && (type === undefined || d.payload.type === type));
}
