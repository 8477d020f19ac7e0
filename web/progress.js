// Live progress of a notice: the server sends the progress table as server-sent events while the
// notice goes out (web/notices/notice-page.tsx); each one replaces the table in place. The last
// one (data-live="no") ends the stream, so the browser does not reconnect.
;(() => {
  const follow = () => {
    const table = document.querySelector('#progress[data-events]')
    if (!table) return
    const events = new EventSource(table.getAttribute('data-events'))
    events.addEventListener('progress', (event) => {
      const current = document.getElementById('progress')
      if (current) current.outerHTML = event.data
      if (document.getElementById('progress')?.getAttribute('data-live') !== 'yes') events.close()
    })
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', follow)
  else follow()
})()
