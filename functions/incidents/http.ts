/**
 * The one way the integrations are called: a request with a timeout and no redirects, its answer read whole, and
 * failures described without the URL, the body or the secret they carried.
 */

export interface Answer {
  status: number;
  text: string;
}

export interface Call {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** The answer, whatever its status; throws only when there is none (connection, timeout). */
export async function call(url: string, request: Call, timeoutMs: number): Promise<Answer> {
  const response = await fetch(url, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text().catch(() => '');
  return { status: response.status, text };
}

/** The reason a request failed, without its URL or anything it carried. */
export function failure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? `connection failed (${cause.code})` : 'connection failed';
}

/** An error as recorded: never the secret (nor a part of it, nor its base64), at most 500 characters. */
export function redact(text: string, secret: string): string {
  const parts = [secret, Buffer.from(secret, 'utf8').toString('base64'), ...secret.split(':')].filter(
    (p) => p.length >= 6,
  );
  let out = text;
  for (const part of parts.sort((a, b) => b.length - a.length)) out = out.split(part).join('[redacted]');
  return out.length > 500 ? `${out.slice(0, 499)}…` : out;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
