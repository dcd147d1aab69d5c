/**
 * The dashboard's script: follows `/dashboard/events` (Server-Sent Events) and puts each update's
 * figures (text) and charts (SVG lines drawn by the server) in place. It draws nothing itself, so
 * the page reads the same before and after its first update. EventSource reconnects by itself;
 * the status badge says when the connection is lost, and a stream refused for good (the session
 * ended) reloads the page, which then asks to sign in again. ES5 like every browser file.
 */
(function () {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script (not a module), so not strict without it
  'use strict';
  var lang = document.documentElement.lang === 'en' ? 'en' : 'vi';
  var status = document.getElementById('live');
  function say(lost) {
    if (!status) return;
    status.textContent = lost ? status.dataset.lost : status.dataset.live;
    status.classList.toggle('lost', lost);
  }
  function find(attribute, key) {
    return document.querySelector('[' + attribute + '="' + CSS.escape(key) + '"]');
  }
  var events = new EventSource('/dashboard/events?lang=' + lang);
  events.addEventListener('figures', function (event) {
    var update = JSON.parse(event.data);
    var i, j, room, keys, element, badge;
    for (i = 0; i < update.rooms.length; i++) {
      room = update.rooms[i];
      keys = Object.keys(room.values);
      for (j = 0; j < keys.length; j++) {
        element = find('data-value', room.id + ':' + keys[j]);
        if (element && element.textContent !== room.values[keys[j]]) element.textContent = room.values[keys[j]];
      }
      keys = Object.keys(room.charts);
      for (j = 0; j < keys.length; j++) {
        element = find('data-chart', room.id + ':' + keys[j]);
        if (element) element.innerHTML = room.charts[keys[j]];
      }
      badge = find('data-value', room.id + ':mode');
      if (badge) badge.className = 'badge ' + room.mode;
    }
    document.documentElement.dataset.updatedAt = update.at;
    say(false);
  });
  events.addEventListener('error', function () {
    say(true);
    // Closed for good (the session ended: the stream answered 401): reloading leads to the sign-in page.
    if (events.readyState === EventSource.CLOSED)
      setTimeout(function () {
        location.reload();
      }, 3000);
  });
})();
