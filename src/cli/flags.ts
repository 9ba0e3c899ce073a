// Flags shared by several commands.
import {Args, Flags} from '@oclif/core'

import type {Secrets} from '../core/secrets.js'

/** Token flags of `init` and `clone`; each may also come from its DKT_* environment variable. */
export const tokenFlags = {
  'github-token': Flags.string({description: 'GitHub token, kept in .dkt/secrets/', env: 'DKT_GITHUB_TOKEN'}),
  'docker-token': Flags.string({description: 'Docker registry token, kept in .dkt/secrets/', env: 'DKT_DOCKER_TOKEN'}),
  's3-access-key': Flags.string({description: 'S3 access key ID', env: 'DKT_S3_ACCESS_KEY', dependsOn: ['s3-secret-key']}),
  's3-secret-key': Flags.string({description: 'S3 secret access key', env: 'DKT_S3_SECRET_KEY', dependsOn: ['s3-access-key']}),
  'hockeyapp-token': Flags.string({description: 'HockeyApp API token', env: 'DKT_HOCKEYAPP_TOKEN'}),
}

export function secretsFromFlags(flags: {[K in keyof typeof tokenFlags]?: string}): Secrets {
  return {
    'github-token': flags['github-token'],
    'docker-token': flags['docker-token'],
    's3-access-key': flags['s3-access-key'],
    's3-secret-key': flags['s3-secret-key'],
    'hockeyapp-token': flags['hockeyapp-token'],
  }
}

export const kindFlag = Flags.string({char: 'k', description: 'kind of the source: git, github, path, docker, s3 or hockeyapp (inferred when omitted)'})

/** The NAME argument of the source commands. */
export const sourceNameArg = Args.string({required: true, description: 'source name'})

/** The ID argument of the node commands. */
export const nodeIdArg = Args.string({required: true, description: 'node ID (any unique prefix)'})
