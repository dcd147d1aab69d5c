/**
 * The countdown (ES5, no dependencies): counts down from the server's figure (not the phone's
 * clock, which may be wrong), leaves for the page asked for at opening plus the jitter, and
 * meanwhile asks the status address now and then (paused while the tab is hidden) so the entry
 * stays counted as present, leaving early if it answers `admitted`.
 */
(function () {
  var c = JSON.parse(document.getElementById('sanh-cd').textContent),
    s = Date.now(),
    end = s + c.left * 1000,
    go = end + c.jitter * 1000,
    t,
    h;
  function p2(n) {
    return (n < 10 ? '0' : '') + n;
  }
  function leave() {
    location.replace(c.back);
  }
  function tick() {
    clearTimeout(t);
    var n = Date.now();
    if (n >= go) return leave();
    var r = Math.max(0, Math.ceil((end - n) / 1000)),
      d = Math.floor(r / 86400),
      x = r % 86400;
    document.getElementById('sanh-left').textContent =
      (d ? d + ' ' + c.days[d > 1 ? 1 : 0] + ' ' : '') + p2(Math.floor(x / 3600)) + ':' + p2(Math.floor((x % 3600) / 60)) + ':' + p2(x % 60);
    t = setTimeout(tick, n < end ? 1000 - ((n - s) % 1000) : go - n);
  }
  function beat() {
    clearTimeout(h);
    if (document.hidden) return;
    h = setTimeout(
      function () {
        var x = new XMLHttpRequest();
        x.open('GET', c.status, true);
        x.setRequestHeader('Accept', 'application/json');
        x.onload = function () {
          try {
            if (JSON.parse(x.responseText).state === 'admitted') return leave();
          } catch (_e) {}
          beat();
        };
        x.onerror = beat;
        x.send();
      },
      c.beat * 1000 * (0.8 + Math.random() * 0.4),
    );
  }
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) tick();
    beat();
  });
  tick();
  beat();
})();
