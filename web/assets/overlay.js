// The stream overlay: large captions that fade. Query parameters:
//   size=48 (font size in pixels, 12-200), position=bottom|middle|top, linger=6 (seconds a line
//   stays, 1-120), lines=2 (lines shown at once, 1-6), box=0 (no dark box behind the text),
//   announcements=1 (also the narrator's own lines: acknowledgements, start-up), token=TOKEN.
'use strict';
(() => {
  const q = new URLSearchParams(location.search);
  const num = (name, def, lo, hi) => {
    const v = Number(q.get(name));
    return q.has(name) && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : def;
  };
  const size = num('size', 48, 12, 200);
  const linger = num('linger', 6, 1, 120) * 1000;
  const maxLines = num('lines', 2, 1, 6);
  const position = ['top', 'middle', 'bottom'].includes(q.get('position')) ? q.get('position') : 'bottom';
  const announcements = q.get('announcements') === '1';
  const token = q.get('token') || '';
  const main = document.querySelector('main');
  const lines = document.getElementById('lines');
  main.classList.add(position);
  if (q.get('box') === '0') main.classList.add('nobox');
  lines.style.setProperty('--size', size + 'px');
  const reduced = matchMedia('(prefers-reduced-motion: reduce)');

  function remove(p) {
    if (!p.isConnected) return;
    if (reduced.matches) { p.remove(); return; }
    p.classList.add('fading');
    setTimeout(() => p.remove(), 700);
  }

  function show(c) {
    if (c.kind === 'announcement' && !announcements) return;
    const p = document.createElement('p');
    p.className = 'line';
    p.textContent = c.text;
    lines.append(p);
    while (lines.children.length > maxLines) lines.firstElementChild.remove();
    setTimeout(() => remove(p), linger);
  }

  const events = new EventSource('/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
  const alert = document.getElementById('alert');
  events.addEventListener('open', () => { alert.textContent = ''; });
  events.addEventListener('error', () => { alert.textContent = 'Disconnected, retrying: the narrator cannot be reached.'; });
  events.addEventListener('caption', (e) => show(JSON.parse(e.data)));
})();
