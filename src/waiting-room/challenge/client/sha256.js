/**
 * A SHA-256 of ASCII text in plain ES5, for browsers without Web Crypto (old ones, and any page
 * served over plain HTTP, where `crypto.subtle` is missing), and wherever it is faster (in
 * Chromium it does about 300,000 hashes a second against Web Crypto's 60,000-150,000, whose
 * every digest is a promise). `sanhSha(prefix)` hashes the prefix's whole 64-byte blocks once
 * and returns a function from a suffix to the digest as eight signed 32-bit words. The
 * constants are computed (fractional parts of square and cube roots of the first primes).
 */
// biome-ignore lint/correctness/noUnusedVariables: solver.js, after this file in the same <script>, calls it
function sanhSha(prefix) {
  var K = [],
    H = [],
    w = [],
    p = 2,
    i,
    j,
    n = prefix.length,
    pre = [],
    full,
    mid,
    rest;
  function fr(x) {
    return ((x - Math.floor(x)) * 4294967296) | 0;
  }
  for (i = 0; i < 64; p++) {
    for (j = 2; j * j <= p && p % j; j++);
    if (j * j > p) {
      if (i < 8) H[i] = fr(Math.sqrt(p));
      K[i++] = fr(Math.pow(p, 1 / 3));
    }
  }
  function blk(h, m, o) {
    var a, b, c, d, e, f, g, k, t, x, y;
    for (t = 0; t < 16; t++) {
      x = o + t * 4;
      w[t] = (m[x] << 24) | (m[x + 1] << 16) | (m[x + 2] << 8) | m[x + 3];
    }
    for (t = 16; t < 64; t++) {
      x = w[t - 15];
      y = w[t - 2];
      w[t] =
        (w[t - 16] +
          (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
          w[t - 7] +
          (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) |
        0;
    }
    a = h[0];
    b = h[1];
    c = h[2];
    d = h[3];
    e = h[4];
    f = h[5];
    g = h[6];
    k = h[7];
    for (t = 0; t < 64; t++) {
      x = (k + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
      y = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + x) | 0;
      d = c;
      c = b;
      b = a;
      a = (x + y) | 0;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
    h[5] = (h[5] + f) | 0;
    h[6] = (h[6] + g) | 0;
    h[7] = (h[7] + k) | 0;
  }
  for (i = 0; i < n; i++) pre[i] = prefix.charCodeAt(i) & 255;
  full = n - (n % 64);
  mid = H.slice();
  for (i = 0; i < full; i += 64) blk(mid, pre, i);
  rest = pre.slice(full);
  return function (s) {
    var m = rest.slice(),
      L = n + s.length,
      h = mid.slice(),
      i;
    for (i = 0; i < s.length; i++) m.push(s.charCodeAt(i) & 255);
    m.push(128);
    while (m.length % 64 !== 56) m.push(0);
    m.push(0, 0, 0, L >>> 29, (L >>> 21) & 255, (L >>> 13) & 255, (L >>> 5) & 255, (L << 3) & 255);
    for (i = 0; i < m.length; i += 64) blk(h, m, i);
    return h;
  };
}
