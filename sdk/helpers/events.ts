/**
 * The event stream of meerkat's client API (`GET /api/sse`), read through the SDK.
 *
 * OpenAPI describes what each event carries (the `StreamedChatMessage` and
 * `StreamedRoomEvent` schemas) but not how to read a stream of them, so the generator
 * cannot write this part. This file is hand-written and copied into the generated package
 * by `make sdk` (as `src/events.ts`, exported from the package's index). It opens the
 * stream with the generated `SseApi`, so the `Configuration` (base path, Basic
 * credentials or bearer token, `fetchApi`, middleware) applies as for every other call,
 * and turns each frame into the generated model:
 *
 * ```ts
 * import { Configuration, EventStream } from '@meerkat/client';
 *
 * const config = new Configuration({ basePath: 'https://chat.example.com/api',
 *                                    username: 'alice@example.com', password: 'secret' });
 * const events = new EventStream(config);     // reconnects by itself, with Last-Event-ID
 * for await (const event of events) {
 *   if (event.name === 'message') console.log(event.data.from, event.data.body);
 *   else if (event.name === 'room.message') console.log(event.data.room, event.data.type);
 *   else console.log(event.data.to, event.data.condition);      // 'message.error'
 * }
 * ```
 *
 * Unlike the browser's `EventSource`, this sends the configured `Authorization` header;
 * in a browser without credentials to send, `EventSource` with a token in the
 * `access_token` query parameter works too. The frame parser (`SseFrameParser`) follows
 * the HTML Living Standard's rules for `text/event-stream` and knows nothing about I/O.
 */

import { Configuration, ResponseError } from './runtime';
import { SseApi } from './apis/SseApi';
import {
  StreamedChatMessage,
  StreamedChatMessageFromJSON,
  StreamedMessageError,
  StreamedMessageErrorFromJSON,
  StreamedRoomEvent,
  StreamedRoomEventFromJSON,
} from './models/index';

/** How long to wait before reconnecting until the server says otherwise (`retry:`). */
export const DEFAULT_RETRY_MS = 3000;

/** One dispatched server-sent event, before its data is interpreted. */
export interface SseFrame {
  /** The `event:` field; `message` when the frame has none. */
  event: string;
  /** The `data:` lines joined with line feeds. */
  data: string;
  /** The last `id:` seen on the stream so far (ids carry over to later frames). */
  id?: string;
}

/**
 * Turns the text of a `text/event-stream` into frames. Feed it chunks as they arrive, in
 * any split; it keeps partial lines. Comments (`: keepalive`) and frames without data are
 * dropped, as a browser drops them.
 */
export class SseFrameParser {
  lastEventId?: string;
  /** The reconnection delay the server asked for (`retry:`), if it did. */
  retryMs?: number;
  private buffer = '';
  private pendingCr = false;
  private event = '';
  private data: string[] = [];

  /** Parses `text` and returns the frames it completed. */
  feed(text: string): SseFrame[] {
    if (this.pendingCr && text.startsWith('\n')) {
      text = text.slice(1); // the second half of a CRLF split across chunks
    }
    this.pendingCr = false;
    this.buffer += text;
    const frames: SseFrame[] = [];
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      if (!match) {
        return frames;
      }
      const end = match.index + match[0].length;
      if (match[0] === '\r' && end === this.buffer.length) {
        this.pendingCr = true; // a LF may follow in the next chunk
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(end);
      const frame = this.line(line);
      if (frame) {
        frames.push(frame);
      }
    }
  }

  private line(line: string): SseFrame | undefined {
    if (line === '') {
      return this.dispatch();
    }
    if (line.startsWith(':')) {
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'event') {
      this.event = value;
    } else if (field === 'data') {
      this.data.push(value);
    } else if (field === 'id' && !value.includes('\0')) {
      this.lastEventId = value;
    } else if (field === 'retry' && /^[0-9]+$/.test(value)) {
      this.retryMs = Number(value);
    }
    return undefined;
  }

  private dispatch(): SseFrame | undefined {
    const event = this.event || 'message';
    const data = this.data;
    this.event = '';
    this.data = [];
    if (data.length === 0) {
      return undefined;
    }
    return { event, data: data.join('\n'), id: this.lastEventId };
  }
}

/** An event of the stream, with its data as the generated model. */
export type MeerkatEvent =
  | { name: 'message'; id?: string; data: StreamedChatMessage }
  | { name: 'room.message'; id?: string; data: StreamedRoomEvent }
  | { name: 'message.error'; id?: string; data: StreamedMessageError };

/**
 * The typed event for `frame`; `undefined` for an event name this SDK does not know (a
 * newer server may send more kinds; they are skipped, not errors).
 */
export function toMeerkatEvent(frame: SseFrame): MeerkatEvent | undefined {
  if (frame.event === 'message') {
    return { name: 'message', id: frame.id, data: StreamedChatMessageFromJSON(JSON.parse(frame.data)) };
  }
  if (frame.event === 'room.message') {
    return { name: 'room.message', id: frame.id, data: StreamedRoomEventFromJSON(JSON.parse(frame.data)) };
  }
  if (frame.event === 'message.error') {
    return { name: 'message.error', id: frame.id, data: StreamedMessageErrorFromJSON(JSON.parse(frame.data)) };
  }
  return undefined;
}

export interface EventStreamOptions {
  /** Resume after this event id (an `archive_id` already seen). */
  lastEventId?: string;
  /** Reconnect when the stream ends or the connection fails (default `true`). */
  reconnect?: boolean;
  /** Send this bearer token as the `access_token` query parameter. */
  accessToken?: string;
}

/**
 * Iterates the events of `GET /api/sse` for the configured user.
 *
 * When the stream ends or the connection fails, it reconnects after the server's `retry:`
 * delay and sends the last id it saw as `Last-Event-ID`, so no event is lost or repeated
 * (unless `reconnect` is false: then the iteration ends with the stream). An error answer
 * (`401`, `400 "Invalid Last-Event-ID"`…) is thrown as the SDK's `ResponseError`; its
 * `response.json()` is the error text. `close()` ends the stream and the iteration.
 */
export class EventStream implements AsyncIterable<MeerkatEvent> {
  lastEventId?: string;
  retryMs = DEFAULT_RETRY_MS;
  private readonly api: SseApi;
  private readonly reconnect: boolean;
  private readonly accessToken?: string;
  private controller?: AbortController;
  private body?: ReadableStream<Uint8Array>;
  private closed = false;

  constructor(configuration: Configuration, options: EventStreamOptions = {}) {
    this.api = new SseApi(configuration);
    this.lastEventId = options.lastEventId;
    this.reconnect = options.reconnect ?? true;
    this.accessToken = options.accessToken;
  }

  /**
   * Opens the stream now (iterating opens it otherwise). Once this resolves, the server
   * counts the user online and routes new events to this stream.
   */
  async open(): Promise<void> {
    if (this.body) {
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    const answer = await this.api.openEventStreamRaw(
      { lastEventID: this.lastEventId, accessToken: this.accessToken },
      { signal: controller.signal },
    );
    if (!answer.raw.body) {
      throw new Error('the event stream answered without a body');
    }
    this.body = answer.raw.body;
  }

  /** Ends the stream and any reconnection; the server ends the session. */
  close(): void {
    this.closed = true;
    this.drop();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<MeerkatEvent, void, undefined> {
    while (!this.closed) {
      try {
        await this.open();
        yield* this.read();
      } catch (e) {
        if (e instanceof ResponseError || !this.reconnect || this.closed) {
          if (this.closed) {
            return;
          }
          throw e;
        }
      }
      this.drop();
      if (!this.reconnect || this.closed) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
  }

  private async *read(): AsyncGenerator<MeerkatEvent, void, undefined> {
    const body = this.body;
    if (!body) {
      return;
    }
    const parser = new SseFrameParser();
    parser.lastEventId = this.lastEventId;
    const decoder = new TextDecoder();
    const reader = body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          return;
        }
        for (const frame of parser.feed(decoder.decode(value, { stream: true }))) {
          this.lastEventId = frame.id;
          const event = toMeerkatEvent(frame);
          if (event) {
            yield event;
          }
        }
        if (parser.retryMs !== undefined) {
          this.retryMs = parser.retryMs;
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  private drop(): void {
    this.controller?.abort();
    this.controller = undefined;
    this.body = undefined;
  }
}
