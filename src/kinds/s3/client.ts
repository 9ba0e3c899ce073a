// The S3 client of a project (endpoint, region and addressing from `.dkt/config`, keys from `.dkt/secrets/`), and
// S3 failures turned into one typed sentence each.
import type {S3Client, S3ClientConfig} from '@aws-sdk/client-s3'

import {AuthFailedError, DktError, InvalidArgumentError, NotFoundError, RemoteUnreachableError} from '../../base/errors.js'
import {redactUrlCredentials} from '../../base/redact.js'
import type {DriverContext} from '../driver.js'
import {NETWORK_REASONS} from '../http.js'
import type {S3Place} from './location.js'

export const DEFAULT_REGION = 'us-east-1'
const CONNECT_TIMEOUT_MS = 10_000
/** Longest silence of a connection (`s3.timeout`, in seconds): long transfers are fine as long as bytes flow. */
const DEFAULT_TIMEOUT_S = 60
/** The SDK's console warnings (a retry it will not make, a slow request) would be lines beside dkt's one sentence. */
const SILENT_LOGGER = {trace() {}, debug() {}, info() {}, warn() {}, error() {}}

export interface S3Settings {
  /** A custom endpoint (MinIO, any S3 API); undefined for AWS. */
  endpoint?: string
  region: string
  /** `bucket` in the path rather than in the host name: the default with a custom endpoint. */
  forcePathStyle: boolean
  /** How long a request may go without a byte moving before it fails, in milliseconds. */
  timeoutMs: number
}

const TRUE = ['true', 'yes', '1', 'on']
const FALSE = ['false', 'no', '0', 'off']

/** Reads `s3.endpoint`, `s3.region`, `s3.path-style` and `s3.timeout` from `.dkt/config` values. Pure. */
export function s3Settings(settings: Record<string, string>): S3Settings {
  const endpoint = settings['s3.endpoint']?.trim() || undefined
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/i.test(endpoint)) {
    throw new InvalidArgumentError(`config \`s3.endpoint\` must be an http:// or https:// URL; fix it with \`dkt config set s3.endpoint URL\``)
  }
  const pathStyle = settings['s3.path-style']?.trim().toLowerCase()
  if (pathStyle !== undefined && pathStyle !== '' && !TRUE.includes(pathStyle) && !FALSE.includes(pathStyle)) {
    throw new InvalidArgumentError('config `s3.path-style` must be true or false; fix it with `dkt config set s3.path-style true`')
  }
  const timeout = settings['s3.timeout']?.trim() || String(DEFAULT_TIMEOUT_S)
  if (!/^\d+(\.\d+)?$/.test(timeout) || Number(timeout) <= 0) {
    throw new InvalidArgumentError(`config \`s3.timeout\` must be a number of seconds; fix it with \`dkt config set s3.timeout ${DEFAULT_TIMEOUT_S}\``)
  }
  return {
    endpoint: endpoint?.replace(/\/+$/, ''),
    region: settings['s3.region']?.trim() || DEFAULT_REGION,
    forcePathStyle: pathStyle ? TRUE.includes(pathStyle) : endpoint !== undefined,
    timeoutMs: Math.round(Number(timeout) * 1000),
  }
}

/** How messages name the server: `S3 endpoint http://127.0.0.1:9000`, or `AWS S3 (eu-west-1)`. */
export function endpointName(settings: S3Settings): string {
  return settings.endpoint ? `S3 endpoint ${redactUrlCredentials(settings.endpoint)}` : `AWS S3 (${settings.region})`
}

export interface S3Connection {
  client: S3Client
  settings: S3Settings
  signal?: AbortSignal
}

export async function connect(ctx: DriverContext): Promise<S3Connection> {
  const settings = s3Settings(ctx.settings)
  // The SDK warns once per process that later releases need Node 22; dkt pins a release that runs on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const {S3Client} = await import('@aws-sdk/client-s3')
  const accessKeyId = ctx.secrets['s3-access-key']
  const secretAccessKey = ctx.secrets['s3-secret-key']
  const anonymous = !accessKeyId || !secretAccessKey
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    followRegionRedirects: settings.endpoint === undefined,
    // Without keys, requests go unsigned (public buckets) instead of searching the machine for AWS credentials.
    credentials: anonymous ? {accessKeyId: '', secretAccessKey: ''} : {accessKeyId, secretAccessKey},
    ...(anonymous ? {signer: {sign: async (request: unknown) => request}} : {}),
    // Checksums only where S3 requires them: the default aws-chunked uploads are not understood by every S3 API.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A silent connection fails (socketTimeout); a whole transfer has no bound, since a large one may take hours.
    requestHandler: {connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: settings.timeoutMs},
    logger: SILENT_LOGGER,
  } as S3ClientConfig)
  return {client, settings, signal: ctx.signal}
}

const AUTH_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AuthorizationHeaderMalformed',
])


type SdkError = Error & {code?: string; Code?: string; $metadata?: {httpStatusCode?: number}}

/**
 * One sentence for a failed S3 call on `place` (the SDK's own message is left out: it would be a second sentence): NotFound for a missing bucket (exit 2), AuthFailed for refused
 * credentials, RemoteUnreachable for the network or any other answer (exit 1). An abort is passed through.
 */
export function s3Failure(error: unknown, place: S3Place, connection: S3Connection): Error {
  if (error instanceof DktError || connection.signal?.aborted) return error as Error
  const e = error as SdkError
  const server = endpointName(connection.settings)
  const status = e.$metadata?.httpStatusCode
  const name = e.Code ?? e.name
  if (name === 'NoSuchBucket' || (status === 404 && name !== 'NoSuchKey' && name !== 'NotFound')) {
    return new NotFoundError(`bucket \`${place.bucket}\` does not exist at ${server}; check its name (or \`s3.endpoint\`)`, {bucket: place.bucket})
  }
  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    return new AuthFailedError(
      `${server} refused the credentials for bucket \`${place.bucket}\` (${name}); set the keys in .dkt/secrets/s3-access-key and s3-secret-key (\`dkt init --s3-access-key K --s3-secret-key S\`)`,
      {data: {bucket: place.bucket, status}},
    )
  }
  if (e.name === 'TimeoutError' && !/without establishing a connection/.test(e.message)) {
    // The connection went silent (a server that stopped answering mid-transfer): `s3.timeout` ran out.
    const seconds = connection.settings.timeoutMs / 1000
    return new RemoteUnreachableError(`${server} sent nothing for ${seconds} s, so dkt gave up on bucket \`${place.bucket}\`; try again, or allow longer with \`dkt config set s3.timeout SECONDS\``, {
      data: {bucket: place.bucket},
    })
  }
  const reason = NETWORK_REASONS[e.code ?? ''] ?? NETWORK_REASONS[e.name]
  if (reason || status === undefined) {
    return new RemoteUnreachableError(`cannot reach ${server}: ${reason ?? e.message.split('\n')[0]}; check \`s3.endpoint\` (\`dkt config set s3.endpoint URL\`)`, {
      data: {bucket: place.bucket},
    })
  }
  return new RemoteUnreachableError(`${server} answered ${status} ${name} for bucket \`${place.bucket}\``, {data: {bucket: place.bucket, status}})
}
