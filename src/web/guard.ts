// Who may talk to the server: requests must name a loopback host or an allowed one (against DNS rebinding), and
// carry the token when one is set; a server reachable from other machines must have a token.
import {timingSafeEqual} from 'node:crypto'
import type {MiddlewareHandler} from 'hono'
import {getCookie, setCookie} from 'hono/cookie'

import {InvalidArgumentError} from '../base/errors.js'

const TOKEN_COOKIE = 'dkt-token'

/** Whether a host name or address only ever reaches this machine. */
function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '')
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name)
}

/** The host name of a Host header, without its port. */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1)
  return header.replace(/:\d+$/, '')
}

/** Refuses to listen beyond this machine without a token: anyone who could reach the port could read the project. */
export function assertBindable(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new InvalidArgumentError(
      `refusing to listen on ${host} without --token: anyone who can reach it could read the project; pass --token, or keep the default 127.0.0.1 and use an SSH tunnel`,
    )
  }
}

export function hostCheck(allowedHosts: string[]): MiddlewareHandler {
  const allowed = new Set(allowedHosts.map((host) => host.toLowerCase()))
  return async (c, next) => {
    // Node's server builds the URL from the Host header; a request made in-process may carry only the URL.
    const name = hostName(c.req.header('host') ?? new URL(c.req.url).host).toLowerCase()
    if (!isLoopbackHost(name) && !allowed.has(name)) {
      return c.text(`Host \`${name}\` is not allowed; start dkt serve with --allowed-host ${name || 'HOST'} to allow it\n`, 403)
    }
    await next()
  }
}

/** Compares two secrets in constant time. */
export function same(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** With a token: `Authorization: Bearer T`, the cookie set by a first visit with `?token=T`, or that query. */
export function tokenCheck(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (!token) return next()
    const bearer = c.req.header('authorization')?.replace(/^Bearer\s+/i, '')
    const query = c.req.query('token')
    if ((bearer && same(bearer, token)) || same(getCookie(c, TOKEN_COOKIE) ?? '', token)) return next()
    if (query && same(query, token)) {
      setCookie(c, TOKEN_COOKIE, token, {httpOnly: true, sameSite: 'Strict', path: '/'})
      const url = new URL(c.req.url)
      url.searchParams.delete('token')
      return c.redirect(`${url.pathname}${url.search}`, 303)
    }
    return c.text('This dkt server needs its token: open the URL it printed, or send `Authorization: Bearer TOKEN`\n', 401)
  }
}
