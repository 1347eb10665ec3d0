// The narrator's live page: captions pushed as Server-Sent Events, controls sent as POST
// /api/control (the same control requests as `narrator ctl`). No framework, no network but
// this server.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(location.search).get('token') || '';
  if (token) history.replaceState(null, '', location.pathname); // the cookie carries it now
  const auth = token ? { Authorization: 'Bearer ' + token } : {};
  const withToken = (url) => (token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url);

  const state = { paused: false, historyMax: 100, suppressedMax: 50, status: null, pageUp: false, desc: null, asks: new Map(), answers: new Map() };

  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    e.append(...kids);
    return e;
  };
  const clock = (iso) => {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  };
  const msText = (v) => (v > 0 ? Math.round(v) + ' ms' : '—');
  const cap = (list, max) => { while (list.children.length > max) list.lastElementChild.remove(); };

  // Captions: each line is added to a live region (announced), and to the history.
  function caption(c, live) {
    if (live) {
      const region = c.urgent ? $('urgent') : $('captions');
      region.querySelector('.waiting')?.remove();
      if (!c.urgent) $('urgent').replaceChildren(); // an urgent line stays until the next line
      region.append(el('p', { 'data-id': c.id }, c.text));
      while (region.children.length > 3) region.firstElementChild.remove();
    }
    const tag = c.kind === 'announcement' ? el('span', { class: 'tag' }, '(narrator)') : '';
    const urgent = c.urgent ? el('span', { class: 'tag' }, '(urgent)') : '';
    $('history').prepend(el('li', {}, el('time', { datetime: c.at }, clock(c.at)), c.text, tag, urgent));
    cap($('history'), state.historyMax);
  }

  function suppressed(s) {
    $('suppressed').prepend(el('li', {}, el('time', { datetime: s.at }, clock(s.at)), `${s.reason}: ${s.text || '(empty)'}`));
    cap($('suppressed'), state.suppressedMax);
    $('suppressed-count').textContent = String($('suppressed').children.length);
  }

  function pairs(dl, rows) {
    dl.replaceChildren(...rows.flatMap(([k, v, bad]) => [el('dt', {}, k), el('dd', bad ? { class: 'bad' } : {}, v || '—')]));
  }

  function description(d) {
    state.desc = d;
    const text = d.error ? `Failed: ${d.error}` : d.text;
    $('frame-text').textContent = `${d.camera}, ${clock(d.captured_at)}: ${text}`;
    const img = $('frame-img');
    if (d.frame_url) {
      img.src = withToken(d.frame_url);
      img.alt = `The frame from ${d.camera} captured at ${clock(d.captured_at)}`;
      img.hidden = false;
    } else {
      img.hidden = true;
      img.removeAttribute('src');
    }
    pairs($('timings'), [
      ['Backend', d.backend + (d.is_model ? '' : ' (not a model)')],
      ['Model', d.model],
      ['Waited for the model', msText(d.queued_ms)],
      ['First word after', msText(d.first_token_ms)],
      ['Described in', msText(d.inference_ms)],
      ['Camera to text', msText(d.total_ms)],
      ['Camera to ear (last line)', msText(state.status?.glass_to_ear_ms)],
    ]);
    if (!d.request_id) return;
    // The answer can arrive before the reply that names it: keep the last few.
    state.answers.set(d.request_id, d);
    for (const k of state.answers.keys()) { if (state.answers.size <= 20) break; state.answers.delete(k); }
    answer(d.request_id);
  }

  // answer shows the description that answers a describe or ask, once both are known.
  function answer(id) {
    const asked = state.asks.get(id);
    const d = state.answers.get(id);
    if (!asked || !d) return;
    state.asks.delete(id);
    state.answers.delete(id);
    ack(d.error ? `${asked}: the model failed: ${d.error}` : `${asked}: ${d.text}`, !!d.error);
  }

  function frame(f) {
    if (!state.desc || state.desc.id !== f.description_id) return;
    state.desc.frame_url = f.url;
    description(state.desc);
  }

  function status(s) {
    state.status = s;
    state.paused = s.paused;
    const pause = $('pause');
    pause.dataset.command = s.paused ? 'resume' : 'pause';
    pause.firstChild.textContent = s.paused ? 'Resume ' : 'Pause ';
    for (const r of document.querySelectorAll('input[name="verbosity"]')) r.checked = r.value === s.verbosity;
    for (const r of document.querySelectorAll('input[name="mode"]')) { r.checked = r.value === s.mode; r.disabled = s.mode === 'director'; }
    const cams = Object.entries(s.sources || {}).map(([c, v]) => `${c} ${v.state}${v.error ? ' (' + v.error + ')' : ''}`).join('; ');
    const down = Object.values(s.sources || {}).some((v) => v.state !== 'up' && v.state !== 'ended');
    pairs($('status'), [
      ['Page', state.pageUp ? 'connected' : 'disconnected, retrying', !state.pageUp],
      ['Bus', s.bus === 'connected' ? 'connected' : 'disconnected, retrying', s.bus !== 'connected'],
      ['Cameras', cams || 'none heard from yet', down],
      ['Backend', s.backend],
      ['Model', s.model],
      ['Worker', s.worker ? s.worker + (s.worker_reason ? ': ' + s.worker_reason : '') : '', s.worker === 'failed' || s.worker === 'restarting'],
      ['Speech', (s.paused ? 'paused' : s.speech) + (s.speech_backend ? ' (' + s.speech_backend + ')' : '')],
      ['Mode', s.mode],
      ['Detail', s.verbosity],
      ['Prompt', s.prompt],
      ['Captions from', s.captions_from === 'speech' ? 'the voice' : 'what the narrator decides to say'],
      ['Camera to ear', msText(s.glass_to_ear_ms)],
    ]);
    alertState();
  }

  // The alert says the page or the bus is disconnected; it is announced and visible.
  function alertState() {
    let msg = '';
    if (!state.pageUp) msg = 'Disconnected, retrying: the narrator cannot be reached.';
    else if (state.status && state.status.bus !== 'connected') msg = "Disconnected, retrying: the narrator's bus is down.";
    if ($('alert').textContent !== msg) $('alert').textContent = msg;
    const c = $('connection');
    c.textContent = msg ? 'Disconnected, retrying' : 'Connected';
    c.classList.toggle('down', !!msg);
  }

  function ack(text, failed) {
    $('ack').textContent = text;
    $('ack').classList.toggle('failed', !!failed);
  }

  const labels = {
    describe: 'Describe', repeat: 'Repeat', pause: 'Pause', resume: 'Resume', stop: 'Stop', help: 'Help',
    status: 'Status', verbosity: 'Detail', mode: 'Mode', rate: 'Rate', volume: 'Volume', ask: 'Ask',
  };

  async function send(body) {
    const label = labels[body.command] || body.command;
    ack(`${label}: sent, waiting for the narrator…`);
    try {
      const r = await fetch('/api/control', {
        method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', ...auth },
      });
      const rep = await r.json();
      if (!rep.ok) {
        ack(`${label} failed: ${rep.error || r.statusText}`, true);
        return;
      }
      let msg = rep.message || 'done';
      if (body.command === 'status') msg = `mode ${rep.mode}, detail ${rep.verbosity}, ${rep.paused ? 'paused' : 'narrating'}`;
      ack(`${label}: ${msg}`);
      if (rep.describe_id) {
        state.asks.set(rep.describe_id, body.command === 'ask' ? `Answer to "${body.text}"` : 'Described');
        answer(rep.describe_id);
      }
    } catch (e) {
      ack(`${label} failed: ${e.message}`, true);
    }
  }

  const command = (name, extra = {}) => send({ command: name, ...extra });
  document.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-command]');
    if (!b) return;
    command(b.dataset.command, { verbosity: b.dataset.verbosity, value: b.dataset.value });
  });
  $('verbosity').addEventListener('change', (e) => command('verbosity', { verbosity: e.target.value }));
  $('mode').addEventListener('change', (e) => command('mode', { value: e.target.value }));
  $('ask-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('question').value.trim();
    if (!q) { ack('Ask: type a question first.', true); $('question').focus(); return; }
    command('ask', { text: q });
  });
  for (const k of ['rate', 'volume']) {
    $(k + '-form').addEventListener('submit', (e) => {
      e.preventDefault();
      command(k, { value: $(k).value.trim() });
    });
  }

  // The terminal's single keys; off while typing, and switchable off (WCAG 2.1.4).
  const keys = {
    ' ': () => command('describe'), r: () => command('repeat'), p: () => command(state.paused ? 'resume' : 'pause'),
    s: () => command('stop'), '+': () => command('verbosity', { verbosity: 'up' }), '=': () => command('verbosity', { verbosity: 'up' }),
    '-': () => command('verbosity', { verbosity: 'down' }), '.': () => command('rate', { value: 'up' }), ',': () => command('rate', { value: 'down' }),
    ']': () => command('volume', { value: 'up' }), '[': () => command('volume', { value: 'down' }), '?': () => command('help'),
  };
  const shortcuts = $('shortcuts');
  shortcuts.checked = localStorage.getItem('narrator.shortcuts') !== 'off';
  shortcuts.addEventListener('change', () => localStorage.setItem('narrator.shortcuts', shortcuts.checked ? 'on' : 'off'));
  document.addEventListener('keydown', (e) => {
    if (!shortcuts.checked || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const t = e.target instanceof Element ? e.target : document.body;
    if (t.closest('input, textarea, select, [contenteditable]')) return;
    if (e.key === ' ' && t.closest('button, summary, a')) return; // space presses the focused control
    const k = e.key.length === 1 ? e.key.toLowerCase() : '';
    if (!keys[k]) return;
    e.preventDefault();
    keys[k]();
  });

  const readCaptions = $('read-captions');
  readCaptions.checked = localStorage.getItem('narrator.read-captions') !== 'off';
  const applyRead = () => {
    $('captions').setAttribute('aria-live', readCaptions.checked ? 'polite' : 'off');
    $('urgent').setAttribute('aria-live', readCaptions.checked ? 'assertive' : 'off');
    localStorage.setItem('narrator.read-captions', readCaptions.checked ? 'on' : 'off');
  };
  readCaptions.addEventListener('change', applyRead);
  applyRead();

  // The stream: a snapshot first (a page opened late shows the recent history at once).
  const events = new EventSource(withToken('/events'));
  const on = (name, fn) => events.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  events.addEventListener('open', () => { state.pageUp = true; if (state.status) status(state.status); else alertState(); });
  events.addEventListener('error', () => { state.pageUp = false; if (state.status) status(state.status); else alertState(); });
  on('snapshot', (s) => {
    state.pageUp = true;
    state.historyMax = s.history_max;
    state.suppressedMax = s.suppressed_max;
    $('history-max').textContent = String(s.history_max);
    $('history').replaceChildren();
    $('suppressed').replaceChildren();
    for (const c of s.captions) caption(c, false);
    const last = s.captions[s.captions.length - 1];
    const now = $('captions');
    if (last && now.querySelector('.waiting')) now.replaceChildren(el('p', { 'data-id': last.id }, last.text)); // opened late
    for (const x of s.suppressed) suppressed(x);
    $('suppressed-count').textContent = String($('suppressed').children.length);
    if (s.descriptions.length) description(s.descriptions[s.descriptions.length - 1]);
    status(s.status);
  });
  on('caption', (c) => caption(c, true));
  on('description', description);
  on('frame', frame);
  on('suppressed', suppressed);
  on('status', status);
})();
