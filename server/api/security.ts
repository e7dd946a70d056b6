/**
 * Request guards: token auth (required when listening beyond loopback), cross-site request
 * protection, DNS-rebinding protection and JSON depth limits.
 *
 * - Token: `Authorization: Bearer T`, or `?token=T` once in the browser (the server answers with an
 *   HttpOnly SameSite=Strict cookie so the editor's later requests carry it).
 * - Cross-site: a state-changing request (anything but GET/HEAD/OPTIONS) whose Origin is another site is
 *   refused; so is a browser request marked `Sec-Fetch-Site: cross-site` to read outputs. Non-browser
 *   clients (curl, ComfyUI API clients) send neither header and are unaffected.
 * - Host: when bound to loopback, the Host header must name loopback, so a DNS-rebound page cannot
 *   talk to the server under a foreign name.
 */
import { timingSafeEqual } from 'node:crypto';

import type { NextFunction, Request, Response } from 'express';

import { isLoopback, type ServerOptions } from '../config.ts';
import { HttpError } from './errors.ts';

export const TOKEN_COOKIE = 'latentflow_token';

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The token a request presents (header, cookie or query), if any. */
export function presentedToken(req: { headers: Record<string, string | string[] | undefined>; url?: string }): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const fromCookie = cookie(req, TOKEN_COOKIE);
  if (fromCookie) return fromCookie;
  const url = new URL(req.url ?? '/', 'http://x');
  return url.searchParams.get('token') ?? undefined;
}

export function isAuthorized(options: ServerOptions, req: { headers: Record<string, string | string[] | undefined>; url?: string }): boolean {
  if (!options.token) return true;
  const token = presentedToken(req);
  return token !== undefined && tokensEqual(token, options.token);
}

function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0];
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
    if (typeof host === 'string' && originHost === host) return false;
    return !options.allowedOrigins.includes(origin);
  }
  if (origin === 'null') return true; // sandboxed iframes, file:// pages
  const site = headers['sec-fetch-site'];
  return site === 'cross-site';
}

export function securityMiddleware(options: ServerOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (isLoopback(options.listen)) {
      const host = req.headers.host ? hostName(req.headers.host) : '';
      if (!(host === 'localhost' || host === '[::1]' || host.startsWith('127.'))) {
        return next(new HttpError(403, 'forbidden_host', `Host "${req.headers.host ?? ''}" is not this server's loopback address`));
      }
    }
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

/** Depth of a parsed JSON value, iteratively (a deep document cannot overflow the stack). */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, depth);
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}
