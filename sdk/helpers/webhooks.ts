/**
 * Checks that a webhook delivery comes from your meerkat server.
 *
 * meerkat signs every webhook delivery (`[modules.mod_event_pusher.http]`, see
 * docs/webhooks.md) as the Standard Webhooks convention says: three headers,
 * `webhook-id` (the event's id: an archive id, or `account-<n>`), `webhook-timestamp`
 * (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of
 * `"{id}.{timestamp}.{body}"`, keyed with the endpoint's secret `whsec_<base64>`).
 * Node's `crypto` only; copy this file next to your receiver:
 *
 * ```ts
 * import { verifyWebhook, WebhookVerificationError } from './webhooks';
 *
 * app.post('/hooks', express.raw({ type: 'application/json' }), (req, res) => {
 *   let event;
 *   try {
 *     event = verifyWebhook(SECRET, req.headers, req.body);   // the raw body
 *   } catch (e) {
 *     return res.sendStatus(400);
 *   }
 *   // Deliveries are at least once: skip a webhook-id seen before.
 *   res.sendStatus(204);
 * });
 * ```
 */

import { createHmac, timingSafeEqual } from 'crypto';

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

function key(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new WebhookVerificationError('the secret does not start with whsec_');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/** The `webhook-signature` value of a delivery (`v1,<base64>`). */
export function signWebhook(secret: string, id: string, timestamp: number, body: string | Uint8Array): string {
  const mac = createHmac('sha256', key(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return `v1,${mac.digest('base64')}`;
}

/**
 * The delivery's parsed JSON body, once its signature and timestamp are checked; throws
 * `WebhookVerificationError` otherwise. `body` is the raw body as received.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
  nowSeconds: number = Date.now() / 1000,
): unknown {
  const id = header(headers, 'webhook-id');
  const timestamp = Number(header(headers, 'webhook-timestamp'));
  if (!Number.isInteger(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not an integer');
  if (Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) {
    throw new WebhookVerificationError('webhook-timestamp is too far from now');
  }
  const expected = Buffer.from(signWebhook(secret, id, timestamp, body));
  // Several signatures may be given, space-separated (while a secret is rotated).
  const matches = header(headers, 'webhook-signature')
    .split(' ')
    .some((given) => {
      const g = Buffer.from(given);
      return g.length === expected.length && timingSafeEqual(g, expected);
    });
  if (!matches) throw new WebhookVerificationError('no signature matches');
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  return JSON.parse(text);
}
