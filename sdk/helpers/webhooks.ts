/**
 * Checks that a webhook delivery comes from your meerkat server.
 *
 * meerkat signs every webhook delivery (`[modules.mod_event_pusher.http]`, see
 * docs/webhooks.md) as the Standard Webhooks convention says: three headers,
 * `webhook-id` (the event's id: an archive id, or `account-<n>`), `webhook-timestamp`
 * (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of
 * `"{id}.{timestamp}.{body}"`, keyed with the endpoint's secret `whsec_<base64>`).
 * It uses the Web Crypto API only (`globalThis.crypto.subtle`: Node.js 19 and later,
 * Deno, Bun, browsers and workers), so the SDK stays usable in a browser bundle:
 *
 * ```ts
 * import { verifyWebhook, WebhookVerificationError } from '@meerkat/client';
 *
 * app.post('/hooks', express.raw({ type: 'application/json' }), async (req, res) => {
 *   let event;
 *   try {
 *     event = await verifyWebhook(SECRET, req.headers, req.body);   // the raw body
 *   } catch (e) {
 *     return res.sendStatus(400);
 *   }
 *   // Deliveries are at least once: skip a webhook-id seen before.
 *   res.sendStatus(204);
 * });
 * ```
 */

export const SECRET_PREFIX = 'whsec_';
/** How far a delivery's timestamp may be from now, in seconds (replayed requests are refused). */
export const TOLERANCE_SECONDS = 5 * 60;

/** The delivery is not signed by the secret, or its timestamp is too far from now. */
export class WebhookVerificationError extends Error {}

/** Request headers: a fetch `Headers`, or Node's `IncomingHttpHeaders`-like object. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string {
  let value: string | string[] | null | undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    value = (headers as { get(name: string): string | null }).get(name);
  } else {
    const record = headers as Record<string, string | string[] | undefined>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null) throw new WebhookVerificationError(`missing header ${name}`);
  return value;
}

// Byte arrays made here own a plain ArrayBuffer, which is what Web Crypto takes.
function bytesOf(length: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(length));
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new WebhookVerificationError('not base64');
  }
  const bytes = bytesOf(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  bytes.forEach((b) => {
    binary += String.fromCharCode(b);
  });
  return btoa(binary);
}

function hmacKey(secret: string): Promise<CryptoKey> {
  if (!secret.startsWith(SECRET_PREFIX)) {
    return Promise.reject(new WebhookVerificationError('the secret does not start with whsec_'));
  }
  const raw = fromBase64(secret.slice(SECRET_PREFIX.length));
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

/** What is signed: `"{id}.{timestamp}."` followed by the raw body's bytes. */
function signedContent(id: string, timestamp: number, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const content = bytesOf(prefix.length + bytes.length);
  content.set(prefix);
  content.set(bytes, prefix.length);
  return content;
}

/** The `webhook-signature` value of a delivery (`v1,<base64>`). */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), signedContent(id, timestamp, body));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/**
 * The delivery's parsed JSON body, once its signature and timestamp are checked; rejects
 * with `WebhookVerificationError` otherwise. `body` is the raw body as received.
 */
export async function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
  nowSeconds: number = Date.now() / 1000,
): Promise<unknown> {
  const id = header(headers, 'webhook-id');
  const timestamp = Number(header(headers, 'webhook-timestamp'));
  if (!Number.isInteger(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not an integer');
  if (Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) {
    throw new WebhookVerificationError('webhook-timestamp is too far from now');
  }
  const key = await hmacKey(secret);
  const content = signedContent(id, timestamp, body);
  // Several signatures may be given, space-separated (while a secret is rotated); the
  // comparison is Web Crypto's own, in constant time.
  let matches = false;
  for (const given of header(headers, 'webhook-signature').split(' ')) {
    if (!given.startsWith('v1,')) continue;
    let signature: Uint8Array<ArrayBuffer>;
    try {
      signature = fromBase64(given.slice(3));
    } catch {
      continue;
    }
    if (await crypto.subtle.verify('HMAC', key, signature, content)) {
      matches = true;
      break;
    }
  }
  if (!matches) throw new WebhookVerificationError('no signature matches');
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  return JSON.parse(text);
}
