#!/usr/bin/env node
// dkt's command line: the CLI bundled by `npm run build` (CommonJS, so no ES module loader starts).
// Stacks shown under DEBUG / DKT_DEBUG point into src/ through the bundle's source map.
const path = require('node:path')

const {requireCached} = require('./compile-cache.js')

if (process.env.DEBUG || process.env.DKT_DEBUG) process.setSourceMapsEnabled(true)
requireCached(path.join(__dirname, '..', 'dist', 'bundle', 'dkt.cjs')).run(path.dirname(__dirname))
