#!/usr/bin/env node
// Runs src/ through tsx without a build; stacks are shown. Delete oclif.manifest.json while developing,
// since oclif prefers the manifest (and dist/) when it exists.
import {execute} from '@oclif/core'

process.env.DKT_DEBUG ??= '1'
await execute({development: true, dir: import.meta.url})
