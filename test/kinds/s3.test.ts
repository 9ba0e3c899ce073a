// The s3 kind passes the conformance suite against s3rver: a whole bucket, and a prefix of one.
import {randomBytes} from 'node:crypto'

import {S3_ACCESS_KEY, S3_SECRET_KEY, s3ForSuite} from '../helpers/s3.js'
import {conformanceSuite, type Subject, testContext} from './conformance.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const s3 = s3ForSuite()

/** A new bucket holding one object under `prefix`; each advance adds one more there. */
async function bucketSubject(prefix: string, path?: string): Promise<Subject> {
  const bucket = `conformance-${randomBytes(4).toString('hex')}`
  await s3.createBucket(bucket)
  await s3.put(bucket, {[`${prefix}first.txt`]: 'first\n'})
  let changes = 0
  return {
    input: {location: `s3://${bucket}`},
    path,
    ctx: testContext({'s3.endpoint': s3.endpoint}, {'s3-access-key': S3_ACCESS_KEY, 's3-secret-key': S3_SECRET_KEY}),
    advance: () => s3.put(bucket, {[`${prefix}change-${++changes}.txt`]: `change ${changes}\n`}),
  }
}

conformanceSuite({kind: 's3', variant: 'bucket', keepsOlderVersions: false, subject: () => bucketSubject('')})
conformanceSuite({kind: 's3', variant: 'prefix', keepsOlderVersions: false, subject: () => bucketSubject('data/', '/data')})
