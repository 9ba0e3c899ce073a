// What the `hockeyapp` kind declares to the rest of dkt, readable without importing its driver.
import type {KindDeclaration} from '../driver.js'

export const declaration: KindDeclaration = {
  name: 'hockeyapp',
  pollSeconds: 600,
  secrets: [{name: 'hockeyapp-token', description: 'HockeyApp API token'}],
  writable: false,
}
