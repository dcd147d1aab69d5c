/**
 * The solver: tries counters until SHA-256 of `<token>:<counter>` starts with enough zero bits,
 * then submits the form. After 15 ms of the ES5 hash (for the JIT to compile it), it times one
 * batch of Web Crypto digests against 20 ms more of the ES5 hash and goes on with the faster
 * (Web Crypto wins where JavaScript is not compiled, e.g. iOS Lockdown Mode); without Web
 * Crypto, or if it fails, the ES5 hash does it all. Work comes in slices with a timer between
 * (chained promises alone would hold off the page's load event and its painting), so the page
 * stays responsive and the progress bar moves. The
 * Continue button (the no-JavaScript path) is hidden while it works, and shown again once the
 * no-JavaScript wait is over, so a slow phone never waits longer than a visitor without
 * JavaScript. Plain ES5.
 */
(function () {
  var d = document;
  function $(i) {
    return d.getElementById(i);
  }
  var c = JSON.parse($('sanh-challenge').textContent),
    f = $('sanh-solve'),
    s = $('sanh-progress'),
    bar = $('sanh-bar'),
    m = $('sanh-manual'),
    E = Math.pow(2, c.bits),
    n = 0,
    end = 0,
    h,
    sub = window.crypto && window.crypto.subtle,
    enc = window.TextEncoder && new TextEncoder();
  function vis(e, on) {
    if (on) e.removeAttribute('hidden');
    else e.setAttribute('hidden', '');
  }
  function manual() {
    if (!end) {
      $('sanh-manual-text').textContent = c.t.slow;
      vis(m, 1);
    }
  }
  function found(k) {
    end = 1;
    bar.value = 1;
    s.textContent = c.t.done;
    vis(m, 0);
    f.elements.counter.value = String(k);
    f.submit();
  }
  function zw(h) {
    var k = 0,
      i,
      x;
    for (i = 0; i < 8; i++) {
      x = h[i];
      if (x === 0) {
        k += 32;
        continue;
      }
      while (x > 0) {
        k++;
        x <<= 1;
      }
      return k;
    }
    return k;
  }
  function zb(b) {
    var k = 0,
      i,
      x;
    for (i = 0; i < b.length; i++) {
      x = b[i];
      if (x === 0) {
        k += 8;
        continue;
      }
      while (x < 128) {
        k++;
        x <<= 1;
      }
      return k;
    }
    return k;
  }
  function shown() {
    bar.value = 1 - Math.exp(-n / E);
  }
  function slice(ms) {
    // biome-ignore lint/correctness/noUndeclaredVariables: sha256.js declares it, before this file in the same <script>
    h = h || sanhSha(c.token + ':');
    var t = Date.now(),
      k;
    do {
      for (k = 0; k < 64; k++, n++)
        if (zw(h(String(n))) >= c.bits) {
          found(n);
          return 1;
        }
    } while (Date.now() - t < ms);
    shown();
    return 0;
  }
  function js() {
    if (!end && !slice(50)) setTimeout(js, 0);
  }
  function batch() {
    var a = n,
      p = [],
      i;
    n += 1024;
    for (i = 0; i < 1024; i++) p.push(sub.digest('SHA-256', enc.encode(c.token + ':' + (a + i))));
    return Promise.all(p).then(function (r) {
      for (i = 0; i < 1024; i++)
        if (zb(new Uint8Array(r[i])) >= c.bits) {
          found(a + i);
          return 1;
        }
      shown();
      return 0;
    });
  }
  function native() {
    batch().then(function (f) {
      if (!f && !end) setTimeout(native, 0);
    }, js);
  }
  function race() {
    if (slice(15)) return;
    var t = Date.now();
    batch().then(function (f) {
      if (f) return;
      var web = 1024 / Math.max(1, Date.now() - t),
        b = n,
        u = Date.now();
      if (!slice(20)) {
        if ((n - b) / Math.max(1, Date.now() - u) > web) js();
        else native();
      }
    }, js);
  }
  vis(m, 0);
  vis(bar, 1);
  s.textContent = c.t.working;
  setTimeout(manual, Math.max(c.wait, 3) * 1000);
  try {
    if (sub && enc && window.Promise) race();
    else js();
  } catch (_e) {
    try {
      js();
    } catch (_x) {
      end = 1;
      vis(m, 1);
    }
  }
})();
