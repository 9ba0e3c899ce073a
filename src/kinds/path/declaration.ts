// What the `path` kind declares to the rest of dkt, readable without importing its driver.
import type {KindDeclaration} from '../driver.js'

export const declaration: KindDeclaration = {
  name: 'path',
  // Only used if a path source could not be watched: the scheduler watches its folder.
  pollSeconds: 60,
  secrets: [],
  writable: true,
}
