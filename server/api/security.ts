/**
 * Request guards: token auth (required when listening beyond loopback), cross-site request
 * protection, DNS-rebinding protection, JSON depth limits and the browser security headers.
 *
 * - Token: `Authorization: Bearer T`, or `?token=T` once in the browser (the server answers with an
 *   HttpOnly SameSite=Strict cookie so the editor's later requests carry it). A cookie that does not
 *   decode is no token at all (401), never an exception.
 * - Cross-site: a state-changing request (anything but GET/HEAD/OPTIONS) whose Origin is another site is
 *   refused; so is a browser request marked `Sec-Fetch-Site: cross-site` to read outputs. Non-browser
 *   clients (curl, ComfyUI API clients) send neither header and are unaffected.
 * - Host (DNS rebinding): the Host header must name this server: exactly `localhost` or a loopback
 *   address, the `--listen` name, a name given with `--allowed-hosts`, and, when listening beyond
 *   loopback, any IP address or this machine's host name (a rebinding page always has a DNS name of its
 *   own). Checked on HTTP, on socket.io's handshake and on the /ws upgrade.
 * - Headers: a strict Content-Security-Policy (scripts, styles and connections from this server only;
 *   no framing) and X-Frame-Options on every answer, so a page of the editor cannot be framed or made to
 *   run a script it did not ship.
 */
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';

import type { NextFunction, Request, Response } from 'express';

import { isLoopback, type ServerOptions } from '../config.ts';
import { HttpError } from './errors.ts';

export const TOKEN_COOKIE = 'latentflow_token';

/** What the guards read of a request (an express request, or the raw one of an upgrade or socket.io handshake). */
interface RequestHead {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
}

/**
 * The editor's policy: everything from this server, nothing inline, no plugins, no framing. Images may be
 * `data:` and `blob:` URLs (step previews arrive as bytes on the socket and are shown through blob URLs).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `decodeURIComponent`, or undefined where the text is not valid percent-encoding. */
function decodeOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function cookie(req: RequestHead, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeOrUndefined(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The request's URL (path and query) parsed, or null when it does not parse. */
export function requestUrl(req: RequestHead): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://x');
  } catch {
    return null;
  }
}

/** The token a request presents (header, cookie or query), if any. */
export function presentedToken(req: RequestHead): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const fromCookie = cookie(req, TOKEN_COOKIE);
  if (fromCookie) return fromCookie;
  return requestUrl(req)?.searchParams.get('token') ?? undefined;
}

export function isAuthorized(options: ServerOptions, req: RequestHead): boolean {
  if (!options.token) return true;
  const token = presentedToken(req);
  return token !== undefined && tokensEqual(token, options.token);
}

/** The name or address a Host header names, lower case, without port, brackets or a trailing dot; null if malformed. */
export function hostName(hostHeader: string): string | null {
  let name: string;
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    if (end < 0) return null;
    name = hostHeader.slice(1, end);
    if (!net.isIPv6(name)) return null;
    const rest = hostHeader.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
  } else {
    const colon = hostHeader.indexOf(':');
    name = colon < 0 ? hostHeader : hostHeader.slice(0, colon);
    if (colon >= 0 && !/^\d{1,5}$/.test(hostHeader.slice(colon + 1))) return null;
  }
  name = name.toLowerCase().replace(/\.$/, '');
  return name === '' ? null : name;
}

/** True for `localhost` and the loopback addresses (127.0.0.0/8 written as an IPv4 address, ::1). */
function isLoopbackName(name: string): boolean {
  return name === 'localhost' || isLoopback(name);
}

/** Whether the Host header names this server (see the file comment); the reason when it does not. */
export function checkHost(options: ServerOptions, hostHeader: string | string[] | undefined): string | null {
  if (typeof hostHeader !== 'string' || hostHeader === '') return 'the request has no Host header';
  const name = hostName(hostHeader);
  const allowed = options.allowedHosts.map((h) => h.toLowerCase());
  if (allowed.includes('*')) return null;
  if (name !== null) {
    if (isLoopbackName(name) || allowed.includes(name) || name === options.listen.toLowerCase()) return null;
    if (!isLoopback(options.listen) && (net.isIP(name) !== 0 || name === os.hostname().toLowerCase())) return null;
  }
  return `Host "${hostHeader.slice(0, 200)}" is not a name of this server: open it as http://localhost:<port>/ or by its address, or allow the name with --allowed-hosts ${name ?? '<name>'}`;
}

/** True when a browser says the request comes from a page of another site. */
export function isCrossSite(options: ServerOptions, headers: Record<string, string | string[] | undefined>): boolean {
  const origin = headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    const host = headers.host;
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return true;
    }
    if (typeof host === 'string' && originHost === host.toLowerCase()) return false; // URL lower-cases the origin's host
    return !options.allowedOrigins.includes(origin);
  }
  if (origin === 'null') return true; // sandboxed iframes, file:// pages
  const site = headers['sec-fetch-site'];
  return site === 'cross-site';
}

/**
 * The websocket doors' guard (socket.io's handshake, ComfyUI's /ws upgrade): the Host, the token and the
 * site, as on HTTP. Returns null to accept, or the HTTP status and reason to refuse; never throws.
 */
export function checkLiveRequest(options: ServerOptions, req: RequestHead): { status: 401 | 403; reason: string } | null {
  try {
    const badHost = checkHost(options, req.headers.host);
    if (badHost) return { status: 403, reason: badHost };
    if (!isAuthorized(options, req)) return { status: 401, reason: 'this server needs a token' };
    if (isCrossSite(options, req.headers)) return { status: 403, reason: 'cross-site connections are refused' };
    return null;
  } catch {
    return { status: 403, reason: 'malformed request' };
  }
}

export function securityMiddleware(options: ServerOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'same-origin');
    const badHost = checkHost(options, req.headers.host);
    if (badHost) return next(new HttpError(403, 'forbidden_host', badHost));
    if (!isAuthorized(options, req)) {
      return next(new HttpError(401, 'unauthorized', 'this server needs a token: send "Authorization: Bearer <token>" or open the editor with ?token=<token>'));
    }
    if (options.token && typeof req.query.token === 'string') {
      res.cookie(TOKEN_COOKIE, req.query.token, { httpOnly: true, sameSite: 'strict' });
    }
    const safeMethod = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
    if (!safeMethod && isCrossSite(options, req.headers)) {
      return next(new HttpError(403, 'cross_site', 'cross-site requests may not change this server (the request came from another web site)'));
    }
    if (safeMethod && req.headers['sec-fetch-site'] === 'cross-site') {
      return next(new HttpError(403, 'cross_site', 'another web site may not read this server\'s data'));
    }
    next();
  };
}

/**
 * Depth of a JSON text, read from its bytes before it is parsed (brackets outside strings), stopping as
 * soon as it passes `limit`: a deeply nested body is refused without building it.
 */
export function jsonTextDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
