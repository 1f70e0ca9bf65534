/**
 * HTTP Basic credentials as UTF-8, whatever the script of the user's name or password.
 *
 * The generated operations build the `Authorization` header with `btoa(username + ':' +
 * password)`, and `btoa` takes Latin-1 only: a JID such as `дмитрий@example.com` throws
 * `InvalidCharacterError`. This file is hand-written and copied into the generated
 * package by `make sdk` (as `src/credentials.ts`); the package exports its
 * `Configuration` in place of the generated one, so
 *
 * ```ts
 * import { Configuration } from '@meerkat/client';
 * const config = new Configuration({ basePath: 'https://chat.example.com/api',
 *                                    username: 'дмитрий@example.com', password: 'пароль' });
 * ```
 *
 * sends the credentials as UTF-8 (RFC 7617's `charset="UTF-8"`, which the server
 * announces). It hands them to the generated code as a default `Authorization` header
 * instead of as `username` and `password`, which the generated operations would encode
 * themselves: those two read back as `undefined`, `basicUsername` is the user. A bearer
 * `accessToken`, when given too, is sent instead, as with the generated class.
 */

import { Configuration as GeneratedConfiguration, ConfigurationParameters, HTTPHeaders } from './runtime';

/** The `Authorization` header value for `username` and `password`, as UTF-8. */
export function basicAuthorization(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return `Basic ${btoa(binary)}`;
}

/** The generated configuration, with Basic credentials encoded as UTF-8. */
export class Configuration extends GeneratedConfiguration {
  private readonly basic?: string;
  /** The user of the Basic credentials, if any. */
  readonly basicUsername?: string;

  constructor(parameters: ConfigurationParameters = {}) {
    super(parameters);
    if (parameters.username !== undefined || parameters.password !== undefined) {
      this.basicUsername = parameters.username;
      this.basic = basicAuthorization(parameters.username ?? '', parameters.password ?? '');
    }
  }

  /** Always `undefined`: the credentials go in `headers` (see the file's comment). */
  override get username(): string | undefined {
    return undefined;
  }

  /** Always `undefined`: the credentials go in `headers` (see the file's comment). */
  override get password(): string | undefined {
    return undefined;
  }

  override get headers(): HTTPHeaders | undefined {
    const headers = super.headers;
    if (this.basic === undefined) {
      return headers;
    }
    return { Authorization: this.basic, ...headers };
  }
}
