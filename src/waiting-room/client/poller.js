/**
 * The poller: asks `/_sanh/status` after the server's suggested delay (with jitter), backs off
 * on errors, pauses while the tab is hidden, and goes to the requested page once admitted.
 * Copes with unknown figures (`position: null`): a dash, no "ahead" sentence, and the
 * "figures cannot be read" notice (`#sanh-nostore`) shown until they are back. Updates only the
 * elements a page has (operator templates may leave some out). Plain ES5 for old phones.
 */
(function () {
  var c = JSON.parse(document.getElementById('sanh-cfg').textContent),
    t,
    f = 0;
  function $(i) {
    return document.getElementById(i);
  }
  function put(i, v) {
    var e = $(i);
    if (e) e.textContent = v;
  }
  function w(s) {
    var x = c.w;
    if (s == null) return c.t.unknown;
    if (s < 60) return x.lt1;
    var m = Math.round(s / 60);
    if (m < 90) return (m === 1 ? x.m1 : x.m).replace('{m}', m);
    var h = Math.floor(m / 60),
      r = m % 60;
    return (h === 1 ? (r ? x.h1m : x.h1) : r ? x.hm : x.h).replace('{h}', h).replace('{m}', r);
  }
  function p2(n) {
    return (n < 10 ? '0' : '') + n;
  }
  function later(s) {
    clearTimeout(t);
    if (document.hidden) return;
    t = setTimeout(poll, s * 1000 * (0.8 + Math.random() * 0.4));
  }
  function fail() {
    f++;
    later(Math.min(60, c.poll * Math.pow(2, f)));
  }
  function poll() {
    var x = new XMLHttpRequest();
    x.open('GET', c.status, true);
    x.setRequestHeader('Accept', 'application/json');
    x.onload = function () {
      if (x.status !== 200) return fail();
      var s;
      try {
        s = JSON.parse(x.responseText);
      } catch (_e) {
        return fail();
      }
      f = 0;
      if (s.state !== 'queued') {
        location.replace(c.back);
        return;
      }
      var u = s.position == null,
        n = $('sanh-nostore');
      put('sanh-pos', u ? '\u2014' : s.position);
      if (n) n.hidden = !u;
      put('sanh-ahead', s.ahead == null ? '' : s.ahead === 0 ? c.t.next : s.ahead === 1 ? c.t.one : c.t.ahead.replace('{n}', s.ahead));
      put('sanh-eta', w(s.etaSeconds));
      var d = new Date();
      put('sanh-time', p2(d.getHours()) + ':' + p2(d.getMinutes()) + ':' + p2(d.getSeconds()));
      later(s.pollAfterSeconds || c.poll);
    };
    x.onerror = fail;
    x.send();
  }
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) clearTimeout(t);
    else poll();
  });
  later(c.poll);
})();
