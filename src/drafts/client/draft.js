/**
 * `/_sanh/draft.js`: the autosave script a portal adds to its form pages (or Sảnh injects).
 *
 * For every `form[data-sanh-draft="<form id>"]` it keeps a copy on the device
 * (`localStorage["sanh-draft:<form id>"]`: draft id, base revision, the server's values at that
 * revision, the current values, the dirty names, last server save, the server's expiry (`exp`),
 * when the citizen last changed it (`touched`, the device's clock), resume code) and one on the
 * server (the drafts API under `/_sanh/drafts`, see docs/drafts.md):
 *
 * - every input/change is saved to the device after 300 ms and to the server after 1.5 s (POST
 *   first, then `PUT` merge patches of the changed fields with `If-Match`), with exponential
 *   back-off and jitter on failure (2 s … 60 s, or the server's Retry-After), at once on `online`,
 *   and with `fetch(…, {keepalive})` when the page is hidden or left;
 * - a 412 (another tab or device saved first) fetches the draft and merges field by field against
 *   the base: changed only there → taken into the form; only here → kept; both, differently →
 *   kept, and a notice lists the other value with a button to use it; then it saves again;
 *   a 404 (expired, deleted) starts a new draft from the device's values only when the device has
 *   changes the server never got (dirty fields); otherwise the device copy is dropped and the form
 *   goes back to what the page rendered, so the server's expiry is not undone;
 * - on load it drops the device copy once its `exp` has passed, or, for a copy never saved to the
 *   server (no `exp`), once `touched` is over 30 days old (a shared computer does not hand the
 *   next person the last citizen's answers); otherwise it fills the form from the device copy,
 *   then merges the server copy; a `#sanh-draft=<id>` fragment (from the resume page) adopts that
 *   draft;
 * - password, file and hidden inputs, read-only and disabled fields (a disabled fieldset's too),
 *   buttons, nameless fields and anything inside `[data-sanh-draft-skip]` are never saved or
 *   restored;
 * - "Xoá bản nháp trên thiết bị này" / "Forget this draft on this device" (shown while there is a
 *   device copy; asks `confirm()` first) removes the device copy, puts the page's own values back
 *   (`defaultValue`, `defaultChecked`, `defaultSelected`), ignores answers to saves under way and
 *   saves nothing until the next change (which starts a new draft); the server's draft is kept,
 *   so the resume code still works on another device;
 * - a status line after the form (or in `[data-sanh-draft-status]`), in the page's language
 *   (`<html lang="en…">` English, else Vietnamese), and a "continue on another device" view with
 *   the resume code (copy, print), its expiry and the resume address, and the secret answer
 *   when the form asks for one;
 * - `[data-sanh-draft-done="<form id>"]` (the "submitted" page) deletes both copies;
 * - once the draft has a server id, each form carries it in a hidden `sanh_draft` field, so a
 *   deferrable submission of the form is known by its draft (a double click or a retried POST
 *   gives back the first receipt, see docs/submissions.md).
 *
 * Plain ES5 (no arrow functions, let/const, template literals or `.catch`) so it runs on old
 * phone browsers; XMLHttpRequest, and fetch only for keepalive when it exists. Times are shown
 * in Vietnam's time (UTC+7 all year since 1975, so a fixed offset: the same on every browser,
 * including those without `Intl` time zones), and come from the server's `updatedAt`, not the
 * phone's clock.
 */
(function () {
  var D = document,
    W = window,
    N = navigator,
    A = '/_sanh/drafts',
    L = location,
    P = 'sanh-draft:',
    EN = /^en/i.test(D.documentElement.lang || ''),
    T = {},
    i,
    K = 'saved off fail saving busy big bad cont have how until copy copied print close ans need save ansOk cf mine other use keep empty fg gone'.split(' '),
    V = (
      EN
        ? 'Saved on the server at |Offline — saved on this device|Could not save|Saving…|The server is busy — saved on this device|the form is too large|the server did not accept it|Continue on another device|Have a resume code?|On the other device, open this address and enter the code:|The code works until |Copy|Copied|Print|Close|A secret answer (asked when you continue)|Choose a secret answer before the code is shown.|Save the answer|Answer saved.|Another device changed these fields. Your values are kept:|yours: |other device: |Use the other value|Keep mine|(empty)|Forget this draft on this device|Removed from this device'
        : 'Đã lưu trên máy chủ lúc |Mất kết nối — đã lưu trên thiết bị này|Không lưu được|Đang lưu…|Máy chủ đang bận — đã lưu trên thiết bị này|hồ sơ quá lớn|máy chủ không nhận dữ liệu|Tiếp tục trên thiết bị khác|Có mã tiếp tục?|Trên thiết bị khác, mở địa chỉ này và nhập mã:|Mã dùng được đến ngày |Sao chép|Đã sao chép|In|Đóng|Câu trả lời bí mật (hỏi khi tiếp tục)|Chọn câu trả lời bí mật trước khi xem mã.|Lưu câu trả lời|Đã lưu câu trả lời.|Thiết bị khác đã sửa các mục này. Đang giữ giá trị của bạn:|của bạn: |thiết bị kia: |Dùng giá trị kia|Giữ giá trị của tôi|(trống)|Xoá bản nháp trên thiết bị này|Đã xoá khỏi thiết bị này'
    ).split('|'),
    arr = Array.isArray,
    NO = { password: 1, file: 1, hidden: 1, submit: 1, button: 1, reset: 1, image: 1 },
    uid = 0,
    css = 0,
    LS;
  if (!W.JSON || !D.querySelectorAll || !W.XMLHttpRequest || W.sanhDraft) return;
  W.sanhDraft = 1;
  for (i = 0; i < K.length; i++) T[K[i]] = V[i];
  try {
    LS = W.localStorage;
  } catch (_e) {}
  function own(o, k) {
    // biome-ignore lint/suspicious/noPrototypeBuiltins: its fix, Object.hasOwn, is ES2022 (old phone browsers lack it)
    return {}.hasOwnProperty.call(o, k);
  }
  function js(v) {
    return JSON.stringify(v);
  }
  function eq(a, b) {
    return js(a) === js(b);
  }
  function cp(v) {
    return v === undefined ? v : JSON.parse(js(v));
  }
  function has(a, v) {
    var i;
    for (i = 0; i < a.length; i++) if (String(a[i]) === v) return true;
    return false;
  }
  function blank(v) {
    return v == null || v === '' || v === false || (arr(v) && !v.length);
  }
  function p2(n) {
    return (n < 10 ? '0' : '') + n;
  }
  function vn(s) {
    return new Date((Date.parse(s) || Date.now()) + 252e5);
  }
  function h(t, x, c) {
    var e = D.createElement(t);
    if (x != null) e.textContent = x;
    if (c) e.className = c;
    return e;
  }
  function show(e, o) {
    e.style.display = o ? '' : 'none';
  }
  function on(t, v, f) {
    t.addEventListener(v, f, false);
  }
  function fire(e, y) {
    var v = D.createEvent('Event');
    v.initEvent(y, true, false);
    e.dispatchEvent(v);
  }
  function load(f) {
    var s, n;
    try {
      s = JSON.parse(LS.getItem(P + f));
      n = Date.now();
      if (s && typeof s.values === 'object') {
        if (s.exp ? Date.parse(s.exp) > n : s.touched > n - 2592e6) return s;
        drop(f);
      }
    } catch (_e) {}
    return null;
  }
  function drop(f) {
    try {
      LS.removeItem(P + f);
    } catch (_e) {}
  }
  function url(id) {
    return A + '/' + encodeURIComponent(id);
  }
  function txt(v) {
    return blank(v) && v !== false ? T.empty : arr(v) ? v.join(', ') : typeof v === 'object' ? js(v) : String(v);
  }
  function send(m, u, b, hd, cb, kp) {
    var dt = b === undefined ? null : js(b),
      k,
      x,
      n = 0;
    hd = hd || {};
    hd.Accept = 'application/json';
    if (dt != null && !hd['Content-Type']) hd['Content-Type'] = 'application/json';
    function end(st, t, ra) {
      if (n++) return;
      var j = null;
      try {
        j = JSON.parse(t);
      } catch (_e) {}
      cb(st, j, +ra || 0);
    }
    if (kp && W.fetch && (dt || '').length < 6e4)
      try {
        return W.fetch(u, { method: m, headers: hd, body: dt, keepalive: true, credentials: 'same-origin' })
          .then(function (r) {
            return r.text().then(function (t) {
              end(r.status, t, r.headers.get('Retry-After'));
            });
          })
          .then(null, function () {
            end(0);
          });
      } catch (_e) {}
    x = new XMLHttpRequest();
    x.open(m, u, true);
    for (k in hd) x.setRequestHeader(k, hd[k]);
    x.timeout = 3e4;
    x.onreadystatechange = function () {
      if (x.readyState === 4) end(x.status, x.responseText, x.getResponseHeader('Retry-After'));
    };
    x.send(dt);
  }
  function ok(e) {
    if (!/^(INPUT|SELECT|TEXTAREA)$/.test(e.tagName) || !e.name || e.name === '__proto__' || NO[e.type]) return false;
    for (; e && e.getAttribute; e = e.parentNode)
      if (e.readOnly === true || e.disabled === true || e.getAttribute('data-sanh-draft-skip') != null) return false;
    return true;
  }
  function group(F) {
    var g = {},
      i,
      j,
      e,
      l;
    for (i = 0; i < F.length; i++) {
      l = F[i].elements;
      for (j = 0; j < l.length; j++) {
        e = l[j];
        if (ok(e)) (own(g, e.name) ? g[e.name] : (g[e.name] = [])).push(e);
      }
    }
    return g;
  }
  function get(l) {
    var e = l[0],
      o = [],
      i,
      j,
      t = e.type;
    if (t === 'checkbox' && l.length === 1) return e.checked;
    for (i = 0; i < l.length; i++) {
      e = l[i];
      if (t === 'radio') {
        if (e.checked) return e.value;
      } else if (t === 'checkbox') {
        if (e.checked) o.push(e.value);
      } else if (t === 'select-multiple') {
        for (j = 0; j < e.options.length; j++) if (e.options[j].selected) o.push(e.options[j].value);
      } else o.push(e.value);
    }
    return t === 'radio' ? null : t === 'checkbox' || t === 'select-multiple' || l.length > 1 ? o : o[0];
  }
  function put(l, v, r) {
    var i, j, e, c, s, o;
    for (i = 0; i < l.length; i++) {
      e = l[i];
      c = 0;
      if (e.type === 'checkbox' || e.type === 'radio') {
        s = r ? e.defaultChecked : arr(v) ? has(v, e.value) : typeof v === 'boolean' ? v : v != null && String(v) === e.value;
        if (e.checked !== s) {
          e.checked = s;
          c = 1;
        }
      } else if (e.options)
        for (j = 0; j < e.options.length; j++) {
          o = e.options[j];
          s = r ? o.defaultSelected : has(arr(v) ? v : [v], o.value);
          if (o.selected !== s) {
            o.selected = s;
            c = 1;
          }
        }
      else {
        s = r ? e.defaultValue : arr(v) ? v[i] : v;
        s = s == null ? '' : String(s);
        if (e.value !== s) {
          e.value = s;
          c = 1;
        }
      }
      if (c) {
        fire(e, 'input');
        fire(e, 'change');
      }
    }
  }
  function style() {
    if (css++) return;
    var s = h(
      'style',
      '.sanh-d{margin:1rem 0;font-size:.9375rem}.sanh-d p{margin:.375rem 0}.sanh-st{color:#3d4750}.sanh-err{color:#a4161a;font-weight:600}' +
        '.sanh-d button{font:inherit;margin:.25rem .5rem .25rem 0;padding:.5rem .875rem;color:#0b5cad;background:#fff;border:1px solid #0b5cad;border-radius:.375rem}' +
        '.sanh-d :focus{outline:3px solid #f0b400;outline-offset:2px}.sanh-d a{color:#0b5cad}.sanh-box{padding:.75rem;border:2px solid #0b5cad;border-radius:.5rem;background:#f5f9ff}' +
        '.sanh-cf{border-color:#b35900;background:#fff8ec}.sanh-code{font:700 1.625rem/1.3 monospace;letter-spacing:.06em}.sanh-url{font-family:monospace;word-break:break-all}' +
        '.sanh-d label{display:block;font-weight:600}.sanh-d input{font:inherit;width:100%;max-width:20rem;box-sizing:border-box;padding:.5rem;border:1px solid #8c959f;border-radius:.375rem}' +
        '@media print{body *{visibility:hidden!important}.sanh-pr,.sanh-pr *{visibility:visible!important}.sanh-pr{position:absolute;left:0;top:0;border:0}.sanh-np{display:none!important}}',
    );
    (D.head || D.documentElement).appendChild(s);
  }
  function setup(fid, F, ad) {
    var s = load(fid) || {},
      box = h('div', 0, 'sanh-d'),
      id = 'sanh-d' + ++uid,
      t1 = 0,
      t2 = 0,
      busy = 0,
      again = 0,
      fails = 0,
      stale = 0,
      fl = 0,
      last = '',
      sl,
      st,
      pn,
      k;
    s.values = s.values || {};
    s.base = s.base || {};
    s.cf = s.cf || {};
    function changed() {
      var c = {},
        n = 0,
        k;
      for (k in s.values)
        if (own(s.values, k) && !eq(s.values[k], s.base[k])) {
          c[k] = s.values[k];
          n++;
        }
      for (k in s.base)
        if (own(s.base, k) && !own(s.values, k)) {
          c[k] = null;
          n++;
        }
      return n ? c : null;
    }
    function save() {
      var c = changed(),
        k,
        d = [];
      for (k in c) d.push(k);
      s.dirty = d;
      try {
        LS.setItem(P + fid, js(s));
      } catch (_e) {}
      show(q('fg'), 1);
    }
    function collect(x) {
      var g = group(F),
        k,
        v,
        c = 0;
      clearTimeout(t1);
      t1 = 0;
      for (k in g)
        if (own(g, k)) {
          v = get(g[k]);
          if (own(s.values, k) ? !eq(v, s.values[k]) : !blank(v)) {
            s.values[k] = v;
            c = 1;
          }
        }
      if (c && !x) {
        s.touched = Date.now();
        save();
      }
      return c;
    }
    function fill(o, r) {
      var g = group(F),
        k;
      fl = 1;
      try {
        for (k in g) if (own(g, k) && (o === true || own(o || s.values, k))) put(g[k], s.values[k], r);
      } finally {
        fl = 0;
      }
    }
    function say(k, w) {
      var t = k === 'saved' ? T.saved + hm(s.savedAt) : (T[k] || '') + (w ? ': ' + w : '');
      if (t !== last) {
        last = t;
        q('st').textContent = t;
        q('st').className = 'sanh-st' + (k === 'fail' ? ' sanh-err' : '');
      }
    }
    function hm(t) {
      var d = vn(t);
      return p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes());
    }
    function meta(j) {
      if (j.revision) s.rev = j.revision;
      if (j.expiresAt) s.exp = j.expiresAt;
      if (j.updatedAt) s.savedAt = j.updatedAt;
      if (j.resumeCode) s.code = j.resumeCode;
      if (j.resumeAnswer) s.ra = j.resumeAnswer;
      if (j.resumeAnswerSet != null) s.ras = j.resumeAnswerSet;
      panel();
    }
    function soon(t) {
      if (fails && t2) return;
      clearTimeout(t2);
      t2 = setTimeout(flush, t);
    }
    function input(ev) {
      if (!fl && ev.target && ok(ev.target)) {
        clearTimeout(t1);
        t1 = setTimeout(local, 300);
      }
    }
    function local() {
      if (!collect()) return;
      stale = 0;
      if (!fails) say(N.onLine === false ? 'off' : 'saving');
      soon(1500);
    }
    function go(m, u, b, hd, cb, kp) {
      var o = s;
      send(
        m,
        u,
        b,
        hd,
        function (a, j, r) {
          if (o === s) cb(a, j, r);
        },
        kp,
      );
    }
    function gone() {
      collect();
      if (changed()) {
        fresh();
        flush();
      } else wipe();
    }
    function wipe() {
      drop(fid);
      fill(true, 1);
      s = { values: {}, base: {}, cf: {} };
      collect(1);
      s.base = cp(s.values);
      clearTimeout(t2);
      t2 = busy = again = fails = stale = 0;
      panel();
      conflicts();
      toggle(0);
      show(q('fg'), 0);
      say();
    }
    function fresh() {
      s.id = s.rev = s.code = s.exp = null;
      s.ras = false;
      s.base = {};
      s.cf = {};
      panel();
      conflicts();
    }
    function fail(st, ra) {
      if (st >= 400 && st < 500 && st !== 408 && st !== 429) return say('fail', st === 413 ? T.big : T.bad);
      fails++;
      var d = Math.min(6e4, 2e3 * Math.pow(2, fails - 1)) * (0.75 + Math.random() / 2);
      say(st && N.onLine !== false ? 'busy' : 'off');
      clearTimeout(t2);
      t2 = setTimeout(flush, Math.max(2e3, Math.min(6e4, Math.max(d, ra * 1e3))));
    }
    function done() {
      var a = again;
      fails = again = stale = 0;
      save();
      if (changed()) soon(a ? 0 : 1500);
      else say('saved');
    }
    function flush() {
      clearTimeout(t2);
      t2 = 0;
      if (busy) {
        again = 1;
        return;
      }
      collect();
      var c = changed(),
        sent;
      if (!s.id) {
        if (!c) return;
        busy = 1;
        say('saving');
        sent = cp(s.values);
        return go('POST', A, { formId: fid, fields: sent, returnTo: L.pathname + L.search }, 0, function (st, j, ra) {
          busy = 0;
          if (st === 201 && j && j.id) {
            s.id = j.id;
            s.base = j.fields || sent;
            meta(j);
            return done();
          }
          fail(st, ra);
        });
      }
      if (!c) return s.savedAt && say('saved');
      busy = 1;
      say('saving');
      patch(c);
    }
    function patch(c, kp) {
      go(
        'PUT',
        url(s.id),
        c,
        { 'Content-Type': 'application/merge-patch+json', 'If-Match': '"' + s.rev + '"' },
        function (st, j, ra) {
          busy = 0;
          if (st === 200 && j) {
            for (var k in c)
              if (own(c, k)) {
                if (c[k] === null) delete s.base[k];
                else s.base[k] = c[k];
              }
            meta(j);
            return done();
          }
          if (st === 412 && stale++ < 3) return pull(flush);
          if (st === 404) return gone();
          fail(st, ra);
        },
        kp,
      );
    }
    function pull(f, id) {
      busy = 1;
      go('GET', url(id || s.id), undefined, 0, function (st, j, ra) {
        busy = 0;
        var ok = st === 200 && j && j.fields;
        if (id && !(ok && j.formId === fid)) return start();
        if (ok) {
          if (j.id !== s.id) {
            s = { values: cp(j.fields), base: cp(j.fields), cf: {}, id: j.id };
            fill(true);
          }
          merge(j);
        } else return st === 404 ? gone() : fail(st, ra);
        f();
      });
    }
    function start() {
      if (s.id) pull(flush);
      else if (changed()) soon(1500);
    }
    function merge(j) {
      var sv = j.fields,
        b = s.base,
        l = s.values,
        all = {},
        tc = {},
        k,
        sc;
      collect();
      for (k in sv) all[k] = 1;
      for (k in b) all[k] = 1;
      for (k in l) all[k] = 1;
      for (k in all)
        if (own(all, k)) {
          sc = !eq(sv[k], b[k]);
          if (sc && eq(l[k], b[k])) {
            if (own(sv, k)) l[k] = cp(sv[k]);
            else delete l[k];
            tc[k] = 1;
          } else if (sc && !eq(sv[k], l[k])) s.cf[k] = own(sv, k) ? sv[k] : null;
          if (own(s.cf, k) && eq(s.cf[k] === null ? undefined : s.cf[k], l[k])) delete s.cf[k];
        }
      s.base = cp(sv);
      meta(j);
      fill(tc);
      save();
      conflicts();
    }
    function label(k) {
      var e = (group(F)[k] || [])[0],
        l = e && e.labels && e.labels[0];
      return l ? l.textContent.trim() : k;
    }
    function conflicts() {
      var b = q('cf'),
        k,
        n = 0,
        r,
        u;
      b.innerHTML = '';
      b.appendChild(h('p', T.cf));
      for (k in s.cf)
        if (own(s.cf, k)) {
          n++;
          r = h('p');
          r.appendChild(h('strong', label(k)));
          r.appendChild(D.createTextNode(' — ' + T.mine + txt(s.values[k]) + '; ' + T.other + txt(s.cf[k]) + ' '));
          u = h('button', T.use);
          u.type = 'button';
          u.setAttribute('data-k', k);
          r.appendChild(u);
          b.appendChild(r);
        }
      u = h('button', T.keep, 'sanh-keep');
      u.type = 'button';
      b.appendChild(u);
      show(b, n);
    }
    function use(k) {
      var v = s.cf[k],
        o = {};
      if (v === null) delete s.values[k];
      else s.values[k] = v;
      delete s.cf[k];
      o[k] = 1;
      fill(o);
      save();
      conflicts();
      soon(0);
    }
    function mark() {
      var j, e;
      for (j = 0; j < F.length; j++) {
        e = F[j].elements.sanh_draft;
        if (!e && s.id) {
          e = h('input');
          e.type = 'hidden';
          e.name = 'sanh_draft';
          F[j].appendChild(e);
        }
        if (e) e.value = s.id || '';
      }
    }
    function panel() {
      mark();
      var need = s.ra === 'required' && !s.ras,
        d = vn(s.exp);
      show(q('cont'), s.code);
      q('code').textContent = s.code || '';
      show(q('code'), !need);
      show(q('copy'), !need);
      show(q('print'), !need);
      show(q('need'), need);
      q('until').textContent = T.until + p2(d.getUTCDate()) + '/' + p2(d.getUTCMonth() + 1) + '/' + d.getUTCFullYear();
      show(q('until'), !need && s.exp);
      show(q('ans'), (need || s.ra === 'optional') && !s.ras);
    }
    function q(c) {
      return box.querySelector('.sanh-' + c);
    }
    function msg(t) {
      q('msg').textContent = t;
    }
    function toggle(o) {
      show(pn, o);
      q('cont').setAttribute('aria-expanded', '' + !!o);
      msg('');
      (o ? pn : q('cont')).focus();
    }
    function answer() {
      var i = q('ans').getElementsByTagName('input')[0],
        v = i.value.trim();
      if (!v || !s.id) return i.focus();
      go('PUT', url(s.id) + '/resume-answer', { answer: v }, 0, function (st) {
        if (st === 204) {
          s.ras = true;
          save();
          panel();
          msg(T.ansOk);
        } else msg(T.fail);
      });
    }
    function copy() {
      var c = s.code || '',
        t;
      function yes() {
        msg(T.copied);
      }
      function old() {
        t = h('textarea');
        t.value = c;
        t.style.position = 'fixed';
        t.style.opacity = '0';
        D.body.appendChild(t);
        t.select();
        try {
          if (D.execCommand('copy')) yes();
        } catch (_e) {}
        D.body.removeChild(t);
      }
      if (N.clipboard && N.clipboard.writeText) N.clipboard.writeText(c).then(yes, old);
      else old();
    }
    function hide() {
      collect();
      var c = changed();
      if (s.id && !busy && c) {
        busy = 1;
        patch(c, 1);
      }
    }
    function b(c, t) {
      return '<button type="button" class="sanh-' + c + '">' + t + '</button>';
    }
    style();
    box.innerHTML =
      '<p class="sanh-st" role="status" aria-live="polite"></p><div class="sanh-box sanh-cf" role="alert"></div><p>' +
      b('cont', T.cont) +
      ' <a class="sanh-have" href="' +
      A +
      '/resume' +
      (EN ? '?lang=en' : '') +
      '">' +
      T.have +
      '</a> ' +
      b('fg', T.fg) +
      '</p><div class="sanh-box sanh-pr" id="' +
      id +
      '" tabindex="-1" style="display:none"><p>' +
      T.how +
      '</p><p class="sanh-url"></p><p class="sanh-code"></p><p class="sanh-until"></p><p class="sanh-need">' +
      T.need +
      '</p><div class="sanh-np sanh-ans"><label for="' +
      id +
      'a">' +
      T.ans +
      '</label><input id="' +
      id +
      'a" type="text" maxlength="100" autocomplete="off" data-sanh-draft-skip>' +
      b('save', T.save) +
      '</div><p class="sanh-np">' +
      b('copy', T.copy) +
      b('print', T.print) +
      b('close', T.close) +
      '<span class="sanh-msg" aria-live="polite"></span></p></div>';
    pn = q('pr');
    q('url').textContent = L.protocol + '//' + L.host + A + '/resume';
    q('cont').setAttribute('aria-controls', id);
    q('cont').setAttribute('aria-expanded', 'false');
    box.onclick = function (e) {
      var t = e.target,
        c = t.className.slice(5),
        k = t.getAttribute('data-k');
      if (k != null) use(k);
      else if (c === 'cont') toggle(pn.style.display === 'none');
      else if (c === 'close') toggle(0);
      else if (c === 'copy') copy();
      else if (c === 'print') W.print();
      else if (c === 'save') answer();
      else if (c === 'keep') {
        s.cf = {};
        save();
        conflicts();
      } else if (c === 'fg' && confirm(T.fg + '?')) {
        wipe();
        say('gone');
        q('have').focus();
      }
    };
    sl = D.querySelectorAll('[data-sanh-draft-status]');
    for (i = 0; i < sl.length; i++) {
      k = sl[i].getAttribute('data-sanh-draft-status');
      if (k === fid || (!k && !st)) st = sl[i];
    }
    if (st) st.appendChild(box);
    else {
      k = F[F.length - 1];
      k.parentNode.insertBefore(box, k.nextSibling);
    }
    panel();
    conflicts();
    show(q('fg'), s.id || s.touched);
    fill();
    collect();
    for (i = 0; i < F.length; i++) {
      on(F[i], 'input', input);
      on(F[i], 'change', input);
    }
    on(W, 'online', function () {
      fails = 0;
      flush();
    });
    on(W, 'pagehide', hide);
    on(D, 'visibilitychange', function () {
      if (D.visibilityState === 'hidden') hide();
    });
    on(W, 'pageshow', function (e) {
      if (e.persisted && s.id) pull(flush);
    });
    if (s.savedAt && !changed()) say('saved');
    if (ad) pull(flush, ad);
    else start();
  }
  var fs = D.querySelectorAll('form[data-sanh-draft]'),
    dn = D.querySelectorAll('[data-sanh-draft-done]'),
    by = {},
    ids = [],
    f,
    s,
    m = /^#sanh-draft=([\w-]{1,100})$/.exec(L.hash);
  if (m && W.history && history.replaceState) history.replaceState(history.state, '', L.pathname + L.search);
  for (i = 0; i < dn.length; i++) {
    f = dn[i].getAttribute('data-sanh-draft-done');
    s = load(f);
    drop(f);
    if (s && s.id) send('DELETE', url(s.id), undefined, 0, function () {}, 1);
  }
  for (i = 0; i < fs.length; i++) {
    f = fs[i].getAttribute('data-sanh-draft');
    if (f && !own(by, f)) {
      by[f] = [];
      ids.push(f);
    }
    if (f) by[f].push(fs[i]);
  }
  for (i = 0; i < ids.length; i++) setup(ids[i], by[ids[i]], m && m[1]);
})();
