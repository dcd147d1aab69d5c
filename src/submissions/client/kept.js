/** The ES5 countdown: while the page is visible it counts down, then sends the kept form again (once). */
(function () {
  var c = JSON.parse(document.getElementById('sanh-kept').textContent),
    f = document.getElementById('sanh-again'),
    s = document.getElementById('sanh-count'),
    left = c.after + Math.floor(Math.random() * Math.max(1, c.after * 0.3)),
    sent = false,
    t;
  if (!f) return;
  if (s) s.textContent = String(left);
  document.getElementById('sanh-auto').hidden = false;
  t = setInterval(function () {
    if (document.hidden || sent) return;
    left -= 1;
    if (s) s.textContent = String(Math.max(0, left));
    if (left <= 0) {
      sent = true;
      clearInterval(t);
      f.submit();
    }
  }, 1000);
})();
