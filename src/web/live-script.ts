// The one script of the web view (served as /static/live.js): it appends a running command's output to the run page
// as it comes (Server-Sent Events) and highlights a range of log lines (#L12-L20). Pages work without it.
export const LIVE_SCRIPT = `'use strict'
;(() => {
  const highlight = () => {
    for (const line of document.querySelectorAll('span.line.hl')) line.classList.remove('hl')
    const match = /^#L(\\d+)(?:-L(\\d+))?$/.exec(location.hash)
    if (!match) return
    const first = Number(match[1])
    const last = Number(match[2] ?? match[1])
    for (let n = Math.min(first, last); n <= Math.max(first, last); n++) document.getElementById('L' + n)?.classList.add('hl')
    document.getElementById('L' + Math.min(first, last))?.scrollIntoView({block: 'center'})
  }
  addEventListener('hashchange', highlight)
  highlight()
  const log = document.getElementById('log')
  const url = log?.dataset.events
  if (!url) return
  let count = log.querySelectorAll('span.line').length
  const events = new EventSource(url)
  events.addEventListener('output', (event) => {
    const text = JSON.parse(event.data)
    const atBottom = innerHeight + scrollY >= document.body.scrollHeight - 4
    for (const line of text.replace(/\\n$/, '').split('\\n')) {
      count++
      const span = document.createElement('span')
      span.className = 'line'
      span.id = 'L' + count
      const anchor = document.createElement('a')
      anchor.className = 'ln'
      anchor.href = '#L' + count
      anchor.textContent = String(count)
      span.append(anchor, document.createTextNode(line))
      log.append(span)
    }
    if (atBottom) scrollTo(0, document.body.scrollHeight)
  })
  // The run has been recorded: the page shows its saved log and final state.
  events.addEventListener('end', () => {
    events.close()
    location.reload()
  })
})()
`
