#!/usr/bin/env node
// Runs src/ through tsx without a build; stacks are shown. Commands are found by file (oclif's pattern strategy)
// instead of through the bundle, and plugins load as plugins. Delete oclif.manifest.json while developing
// (`npm run clean`): oclif prefers it, and it lists the bundle's commands.
const path = require('node:path')
const {execute} = require('@oclif/core')

const pjson = require('../package.json')

process.env.DKT_DEBUG ??= '1'
const oclif = {
  ...pjson.oclif,
  commands: './dist/commands',
  plugins: ['@oclif/plugin-help', '@oclif/plugin-autocomplete'],
  hooks: {command_not_found: {target: './dist/cli/not-found.js', identifier: 'notFound'}},
}
execute({development: true, loadOptions: {root: path.dirname(__dirname), pjson: {...pjson, oclif}}})
