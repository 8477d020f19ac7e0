import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Hono } from 'hono'

/** Read once at start-up: the app serves every asset itself (no CDN, no build step). */
const css = readFileSync(new URL('./console.css', import.meta.url), 'utf8')
const progress = readFileSync(new URL('./progress.js', import.meta.url), 'utf8')
const htmx = readFileSync(
  createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'),
  'utf8',
)

// A day: the files change only with a release, and a reload after one picks them up.
const CACHE = 'public, max-age=86400'

export const assetRoutes = new Hono()
  .get('/console.css', (c) =>
    c.body(css, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': CACHE }),
  )
  .get('/progress.js', (c) =>
    c.body(progress, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': CACHE,
    }),
  )
  .get('/htmx.min.js', (c) =>
    c.body(htmx, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': CACHE,
    }),
  )
