// Stands in for the `debug` package in the bundle (scripts/build.mjs): the real one is loaded only when DEBUG is set.
// Without DEBUG, the real one prints nothing either, but loading it costs every start ~10 ms (tty, util, supports-color).
/** The real package (bundled, but evaluated only when called). */
const debugPackage = () => require('debug/src/index.js')

function silent(namespace) {
  const log = () => {}
  log.namespace = namespace
  log.enabled = false
  log.extend = (suffix, delimiter = ':') => silent(`${namespace}${delimiter}${suffix}`)
  log.destroy = () => false
  return log
}

if (process.env.DEBUG) module.exports = debugPackage()
else {
  // Turning namespaces on at run time hands over to the real package from then on.
  let real
  const createDebug = (namespace) => (real ? real(namespace) : silent(namespace))
  createDebug.enable = (namespaces) => {
    real = debugPackage()
    real.enable(namespaces)
  }
  createDebug.enabled = (name) => (real ? real.enabled(name) : false)
  createDebug.disable = () => (real ? real.disable() : '')
  module.exports = createDebug
  module.exports.default = createDebug
}
