// What the `docker` kind declares to the rest of dkt, readable without importing its driver.
import type {KindDeclaration} from '../driver.js'

export const declaration: KindDeclaration = {
  name: 'docker',
  pollSeconds: 300,
  secrets: [{name: 'docker-token', description: 'Docker registry token, kept in .dkt/secrets/'}],
  writable: false,
  providesImage: true,
}
