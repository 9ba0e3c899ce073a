// What the `github` kind declares to the rest of dkt, readable without importing its driver.
import type {KindDeclaration} from '../driver.js'

export const declaration: KindDeclaration = {
  name: 'github',
  pollSeconds: 60,
  secrets: [{name: 'github-token', description: 'GitHub token, kept in .dkt/secrets/'}],
  writable: true,
  storedAs: 'git',
}
