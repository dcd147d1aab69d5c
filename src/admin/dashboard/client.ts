/**
 * The dashboard's script: follows `/dashboard/events` (Server-Sent Events) and puts each update's
 * figures (text) and charts (SVG lines drawn by the server) in place. It draws nothing itself, so
 * the page reads the same before and after its first update. EventSource reconnects by itself;
 * the status badge says when the connection is lost, and a stream refused for good (the session
 * ended) reloads the page, which then asks to sign in again.
 */
export const DASHBOARD_SCRIPT = `(() => {
  'use strict';
  const lang = document.documentElement.lang === 'en' ? 'en' : 'vi';
  const status = document.getElementById('live');
  const say = (lost) => {
    if (!status) return;
    status.textContent = lost ? status.dataset.lost : status.dataset.live;
    status.classList.toggle('lost', lost);
  };
  const find = (attribute, key) => document.querySelector('[' + attribute + '="' + CSS.escape(key) + '"]');
  const events = new EventSource('/dashboard/events?lang=' + lang);
  events.addEventListener('figures', (event) => {
    const update = JSON.parse(event.data);
    for (const room of update.rooms) {
      for (const key of Object.keys(room.values)) {
        const element = find('data-value', room.id + ':' + key);
        if (element && element.textContent !== room.values[key]) element.textContent = room.values[key];
      }
      for (const key of Object.keys(room.charts)) {
        const element = find('data-chart', room.id + ':' + key);
        if (element) element.innerHTML = room.charts[key];
      }
      const badge = find('data-value', room.id + ':mode');
      if (badge) badge.className = 'badge ' + room.mode;
    }
    document.documentElement.dataset.updatedAt = update.at;
    say(false);
  });
  events.addEventListener('error', () => {
    say(true);
    // Closed for good (the session ended: the stream answered 401): reloading leads to the sign-in page.
    if (events.readyState === EventSource.CLOSED) setTimeout(() => location.reload(), 3000);
  });
})();
`;
