// What the `s3` kind declares to the rest of dkt, readable without importing its driver.
import type {KindDeclaration} from '../driver.js'

export const declaration: KindDeclaration = {
  name: 's3',
  pollSeconds: 300,
  secrets: [
    {name: 's3-access-key', description: 'S3 access key ID', dependsOn: ['s3-secret-key']},
    {name: 's3-secret-key', description: 'S3 secret access key', dependsOn: ['s3-access-key']},
  ],
  writable: true,
}
