// What the `git` kind declares to the rest of dkt, readable without importing its driver.
import type {KindDeclaration} from '../driver.js'

export const declaration: KindDeclaration = {
  name: 'git',
  pollSeconds: 60,
  // A GitHub token (declared by the github kind) is also given to git for https remotes on the GitHub host.
  secrets: [],
  writable: true,
}
