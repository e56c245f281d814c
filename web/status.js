// The live status page: per-level queue figures from the API's WebSocket (every second), the GEX profile of the
// latest snapshot per ticker (redrawn when a job of that ticker completes), breakers, rules and dead letters.
// Reads only: no token. Plain ES module, no build step; the chart layout is the domain's gexProfile module.
import { SERIES_LABELS, compactNumber, gexProfile, layoutProfile } from './gexProfile.js';

const LEVELS = ['critical', 'high', 'medium', 'low'];
const SVG = 'http://www.w3.org/2000/svg';
const SLOW_MS = 5000; // side panels, tickers and the chart refresh at least this often
const SPARK_POINTS = 60;

const state = {
  tickers: [],
  selected: null, // { ticker, kind }
  hidden: new Set(), // series switched off in the legend
  latest: null, // the processed snapshot the chart shows
  rates: Object.fromEntries(LEVELS.map((l) => [l, []])),
  ws: null,
  wsTicker: undefined,
  retryMs: 500,
};

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? '' : String(c)));
  return e;
};
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};
const fmtInt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');
const fmtMs = (ms) => (typeof ms !== 'number' ? '–' : ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);
const fmtPrice = (v) => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : '–');
const fmtTime = (v) => {
  const d = typeof v === 'number' ? new Date(v) : typeof v === 'string' ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
};

const getJson = async (path) => {
  const r = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error ?? `${path}: HTTP ${r.status}`);
  return body;
};

/** A failed read shows in its panel instead of leaving stale figures that look current. */
const panelError = (tbody, cols, err) => {
  tbody.replaceChildren(el('tr', {}, el('td', { colspan: cols, class: 'left muted' }, err.message)));
};

// ---- levels -------------------------------------------------------------------------------------------------

const sparkline = (values) => {
  const s = svg('svg', { class: 'spark', viewBox: `0 0 ${SPARK_POINTS} 20`, preserveAspectRatio: 'none' });
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => `${i + SPARK_POINTS - values.length},${(19 - (v / max) * 18).toFixed(1)}`).join(' ');
  s.append(svg('polyline', { points: pts }));
  return s;
};

const renderLevels = (levels, atMs) => {
  const tbody = $('#levels tbody');
  const rows = LEVELS.map((l) => {
    const q = levels?.[l] ?? {};
    if (typeof q.processed_per_s === 'number') {
      const h = state.rates[l];
      h.push(q.processed_per_s);
      if (h.length > SPARK_POINTS) h.shift();
    }
    return el(
      'tr',
      { 'data-level': l, 'data-lag': q.lag ?? '', 'data-in-flight': q.in_flight ?? '', 'data-processed': q.processed ?? '', 'data-sla-breaches': q.sla_breaches ?? '' },
      el('td', {}, l),
      el('td', {}, fmtInt(q.lag)),
      el('td', {}, fmtInt(q.in_flight)),
      el('td', { class: 'processed' }, fmtInt(q.processed)),
      el('td', {}, typeof q.processed_per_s === 'number' ? q.processed_per_s.toFixed(1) : '–'),
      el('td', {}, sparkline(state.rates[l])),
      el('td', {}, fmtMs(q.p50_ms)),
      el('td', {}, fmtMs(q.p99_ms)),
      el('td', { class: q.sla_breaches > 0 ? 'breach' : '' }, fmtInt(q.sla_breaches)),
      el('td', {}, q.drain ?? '–'),
    );
  });
  tbody.replaceChildren(...rows);
  const anyProcessor = LEVELS.some((l) => typeof levels?.[l]?.processed === 'number');
  $('#levels-note').textContent = anyProcessor ? '' : 'No processor runs in this API process: lag only (processed, rates and latencies come from `gexstream run --role processor`).';
  $('#updated').textContent = `updated ${fmtTime(atMs ?? Date.now())}`;
};

// ---- GEX profile --------------------------------------------------------------------------------------------

const BOX = { width: 960, height: 400, margin: { top: 34, right: 20, bottom: 54, left: 64 } };

const renderLegend = (profile) => {
  const box = $('#series-toggles');
  box.replaceChildren(
    ...(profile?.series ?? []).map((s) => {
      const input = el('input', { type: 'checkbox', 'data-series': s });
      input.checked = !state.hidden.has(s);
      input.addEventListener('change', () => {
        if (input.checked) state.hidden.delete(s);
        else state.hidden.add(s);
        renderChart();
      });
      return el('label', {}, input, el('span', { class: `swatch s-${s}` }), SERIES_LABELS[s]);
    }),
  );
  for (const sw of box.querySelectorAll('.swatch')) {
    const s = [...sw.classList].find((c) => c.startsWith('s-'))?.slice(2);
    sw.style.background = getComputedStyle(document.documentElement).getPropertyValue(s === 'computed' ? '--pos' : s === 'vendor_oi' ? '--oi-pos' : '--vol-pos');
  }
};

const renderChart = () => {
  const chart = $('#gex-chart');
  const p = state.latest;
  chart.replaceChildren();
  chart.removeAttribute('data-request-id');
  if (!p) {
    chart.append(svg('text', { x: BOX.width / 2, y: BOX.height / 2, 'text-anchor': 'middle', class: 'empty' }, state.tickers.length ? 'loading…' : 'no snapshot processed since this process started'));
    renderLegend(null);
    $('#gex-summary').replaceChildren();
    return;
  }
  const full = gexProfile(p);
  const profile = { ...full, series: full.series.filter((s) => !state.hidden.has(s)), bars: full.bars.filter((b) => !state.hidden.has(b.series)) };
  const lay = layoutProfile(profile, BOX);
  chart.setAttribute('data-request-id', p.request_id ?? '');
  chart.setAttribute('data-ticker', full.ticker);
  chart.setAttribute('data-kind', full.kind);
  const grid = svg('g', { class: 'grid' });
  for (const t of lay.yTicks) {
    grid.append(svg('line', { x1: lay.plot.left, x2: lay.plot.right, y1: t.y, y2: t.y }));
    grid.append(svg('text', { x: lay.plot.left - 6, y: t.y + 4, 'text-anchor': 'end' }, compactNumber(t.value)));
  }
  const axis = svg('g', { class: 'axis' });
  for (const t of lay.xTicks) {
    axis.append(svg('line', { x1: t.x, x2: t.x, y1: lay.plot.bottom, y2: lay.plot.bottom + 4 }));
    axis.append(svg('text', { x: t.x, y: lay.plot.bottom + 16, 'text-anchor': 'middle' }, fmtPrice(t.value)));
  }
  axis.append(svg('text', { x: lay.plot.left, y: 14 }, `net GEX (${full.unit ?? 'units unknown'}) by strike`));
  const bars = svg('g', { class: 'bars' });
  for (const b of lay.bars) {
    const r = svg('rect', { class: `bar s-${b.series} ${b.value >= 0 ? 'pos' : 'neg'}`, x: b.x.toFixed(2), y: b.y.toFixed(2), width: b.w.toFixed(2), height: Math.max(b.h, 0.5).toFixed(2), 'data-strike': b.strike, 'data-series': b.series, 'data-value': b.value });
    r.append(svg('title', {}, `strike ${fmtPrice(b.strike)}: ${SERIES_LABELS[b.series]} ${compactNumber(b.value)}`));
    bars.append(r);
  }
  const lines = svg('g', { class: 'lines' });
  lay.lines.forEach((l, i) => {
    lines.append(svg('line', { class: `line-${l.name}`, x1: l.x, x2: l.x, y1: lay.plot.top, y2: lay.plot.bottom, 'data-line': l.name, 'data-value': l.value }));
    lines.append(svg('text', { class: 'line-label', x: l.x + 4, y: lay.plot.top + 10 + 12 * i }, `${l.label} ${fmtPrice(l.value)}`));
  });
  const marks = svg('g', { class: 'marks' });
  for (const m of lay.marks) {
    const up = m.name === 'major_positive';
    // the positive mark points down at the plot from above, the negative one up from below the strike labels
    const y = up ? lay.plot.top - 4 : lay.plot.bottom + 22;
    const tri = up ? `${m.x - 6},${y - 10} ${m.x + 6},${y - 10} ${m.x},${y}` : `${m.x - 6},${y + 10} ${m.x + 6},${y + 10} ${m.x},${y}`;
    const g = svg('g', { 'data-mark': m.name, 'data-strike': m.strike, 'data-by': m.by });
    g.append(svg('polygon', { class: `mark-${m.name}`, points: tri }));
    g.append(svg('text', { x: m.x + 8, y: up ? y - 2 : y + 11, class: `mark-label` }, `${m.label} ${fmtPrice(m.strike)}${m.by === 'vendor' ? " (vendor's)" : ''}`));
    g.append(svg('title', {}, `${m.name.replace('_', ' ')} strike ${fmtPrice(m.strike)} (${m.by})`));
    marks.append(g);
  }
  chart.append(grid, svg('line', { class: 'zero-axis', x1: lay.plot.left, x2: lay.plot.right, y1: lay.zeroY, y2: lay.zeroY }), bars, lines, marks, axis);
  renderLegend(full);
  const s = p.snapshot;
  const d = s.derived ?? {};
  const items = [
    ['ticker', `${s.ticker} (${s.kind}${s.category ? `, ${s.category}` : ''})`],
    ['snapshot time', fmtTime(s.timestamp_ms)],
    ['level', p.level],
    ['spot', fmtPrice(s.spot)],
    ["zero gamma (vendor's)", fmtPrice(s.zero_gamma)],
    ['zero gamma (computed)', fmtPrice(d.zero_gamma)],
    ['net GEX (computed)', typeof d.net_gex === 'number' ? compactNumber(d.net_gex) : '–'],
    ["net GEX by volume (vendor's)", typeof s.net_gex_vol === 'number' ? compactNumber(s.net_gex_vol) : '–'],
    ['major + (computed)', fmtPrice(d.major_pos_oi ?? d.major_pos_vol)],
    ['major − (computed)', fmtPrice(d.major_neg_oi ?? d.major_neg_vol)],
    ["major + / − (vendor's)", `${fmtPrice(s.major_pos_oi ?? s.major_pos_vol)} / ${fmtPrice(s.major_neg_oi ?? s.major_neg_vol)}`],
    ['strikes', fmtInt(s.strikes.length)],
    ['quality', typeof p.quality_score === 'number' ? p.quality_score.toFixed(2) : '–'],
    ['request', p.request_id ?? '–'],
  ];
  $('#gex-summary').replaceChildren(...items.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v))));
};

const keyOf = (t) => `${t.ticker}|${t.kind}`;

const renderPicker = () => {
  const sel = $('#ticker');
  const current = state.selected ? keyOf(state.selected) : '';
  if (state.tickers.length === 0) {
    sel.replaceChildren(el('option', { value: '' }, 'no snapshot yet'));
    sel.disabled = true;
    return;
  }
  const kinds = new Map();
  for (const t of state.tickers) kinds.set(t.ticker, (kinds.get(t.ticker) ?? 0) + 1);
  sel.replaceChildren(...state.tickers.map((t) => el('option', { value: keyOf(t) }, kinds.get(t.ticker) > 1 ? `${t.ticker} · ${t.kind}` : t.ticker)));
  sel.disabled = false;
  sel.value = current;
};

const select = (t) => {
  state.selected = t;
  state.latest = null;
  history.replaceState(null, '', t ? `#ticker=${encodeURIComponent(t.ticker)}&kind=${encodeURIComponent(t.kind)}` : '#');
  renderPicker();
  renderChart();
  connect(); // the job stream follows the picked ticker only
  void refreshChart();
};

let lastTickersAt = 0;
const refreshTickers = async () => {
  lastTickersAt = Date.now();
  try {
    const { tickers } = await getJson('/api/v1/snapshots/tickers');
    state.tickers = tickers;
    const wanted = state.selected ?? (() => {
      const h = new URLSearchParams(location.hash.slice(1));
      return h.get('ticker') ? { ticker: h.get('ticker'), kind: h.get('kind') } : null;
    })();
    const match = wanted && (tickers.find((t) => t.ticker === wanted.ticker && (!wanted.kind || t.kind === wanted.kind)) ?? tickers.find((t) => t.ticker === wanted.ticker));
    if (!state.selected && tickers.length > 0) select(match ?? tickers[0]);
    else renderPicker();
  } catch (err) {
    $('#gex-summary').replaceChildren(el('div', {}, el('dt', {}, 'snapshots'), el('dd', {}, err.message)));
  }
};

let chartBusy = false;
let chartAgain = false;
/** One read at a time; a completion during a read asks for one more, so a burst of jobs costs two reads, not N. */
const refreshChart = async () => {
  if (!state.selected) return;
  if (chartBusy) {
    chartAgain = true;
    return;
  }
  chartBusy = true;
  try {
    const { ticker, kind } = state.selected;
    const { snapshots } = await getJson(`/api/v1/snapshots/latest?ticker=${encodeURIComponent(ticker)}&kind=${encodeURIComponent(kind)}`);
    const next = snapshots[0] ?? null;
    if (state.selected?.ticker === ticker && state.selected?.kind === kind && (next?.request_id !== state.latest?.request_id || next?.offset !== state.latest?.offset)) {
      state.latest = next;
      renderChart();
    }
  } catch (err) {
    $('#gex-summary').replaceChildren(el('div', {}, el('dt', {}, 'snapshot'), el('dd', {}, err.message)));
  } finally {
    chartBusy = false;
    if (chartAgain) {
      chartAgain = false;
      void refreshChart();
    }
  }
};

// ---- breakers, rules, dead letters ----------------------------------------------------------------------------

const refreshSources = async () => {
  const tbody = $('#sources tbody');
  try {
    const { sources } = await getJson('/api/v1/sources');
    tbody.replaceChildren(
      ...(sources.length ? sources : [null]).map((s) =>
        s === null
          ? el('tr', {}, el('td', { colspan: 5, class: 'left muted' }, 'no source has been processed yet'))
          : el(
              'tr',
              { 'data-source': s.source, 'data-breaker': s.breaker },
              el('td', {}, s.source),
              el('td', { class: `state-${s.breaker}` }, String(s.breaker).replace('_', '-')),
              el('td', {}, typeof s.reliability === 'number' ? `${(s.reliability * 100).toFixed(1)} %` : '–'),
              el('td', {}, fmtMs(s.ema_latency_ms)),
              el('td', {}, fmtInt(s.total_requests)),
            ),
      ),
    );
  } catch (err) {
    panelError(tbody, 5, err);
  }
};

const refreshRules = async () => {
  const tbody = $('#rules tbody');
  try {
    const m = await getJson('/api/v1/rules/matches');
    $('#rule-version').textContent = `rule-set version ${m.rule_set_version}${m.counted ? '' : ' (match counts need the projector)'}`;
    $('#rule-version').setAttribute('data-version', m.rule_set_version);
    tbody.replaceChildren(
      ...m.rules.slice(0, 10).map((r) =>
        el('tr', { 'data-rule': r.rule_id, 'data-matched': r.matched ?? '' }, el('td', { title: r.rule_id, class: r.active ? '' : 'muted' }, `${r.name}${r.active ? '' : ' (disabled)'}`), el('td', {}, r.level ?? '–'), el('td', {}, fmtInt(r.matched))),
      ),
    );
  } catch (err) {
    panelError(tbody, 3, err);
  }
};

const refreshDeadLetters = async () => {
  const tbody = $('#dlq tbody');
  try {
    const { dead_letters: dl } = await getJson('/api/v1/dlq?limit=15');
    tbody.replaceChildren(
      ...(dl.length ? dl : [null]).map((d) => {
        if (d === null) return el('tr', {}, el('td', { colspan: 5, class: 'left muted' }, 'none'));
        const errors = Array.isArray(d.errors) ? d.errors : [];
        const detail = errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ') + (errors.length > 3 ? ` (+${errors.length - 3} more)` : '');
        return el('tr', { 'data-dead-letter': d.dead_letter_id, 'data-stage': d.stage }, el('td', {}, fmtTime(d.failed_at_ms)), el('td', {}, d.stage), el('td', {}, d.ticker ?? '–'), el('td', {}, d.source ?? '–'), el('td', { class: 'reason' }, detail || d.reason));
      }),
    );
  } catch (err) {
    panelError(tbody, 5, err);
  }
};

// ---- the live stream ------------------------------------------------------------------------------------------

let lastQueueAt = 0;
const setConn = (s, text) => {
  const c = $('#conn');
  c.dataset.ws = s;
  c.textContent = text;
};

/** (Re)opens the status stream: the queue every second, and job events of the picked ticker. */
function connect() {
  const ticker = state.selected?.ticker ?? null;
  if (state.ws && state.wsTicker === ticker && state.ws.readyState <= WebSocket.OPEN) return;
  if (state.ws) {
    state.ws.onclose = null;
    state.ws.close();
  }
  state.wsTicker = ticker;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ingest/status${ticker ? `?ticker=${encodeURIComponent(ticker)}` : ''}`;
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.onopen = () => {
    state.retryMs = 500;
    setConn('open', 'live');
  };
  ws.onmessage = (m) => {
    let e;
    try {
      e = JSON.parse(m.data);
    } catch {
      return;
    }
    if (e.type === 'queue') {
      lastQueueAt = Date.now();
      renderLevels(e.levels, e.at_ms);
    } else if (e.type === 'job' && e.status === 'COMPLETED') {
      if (state.selected && e.ticker === state.selected.ticker) void refreshChart();
      // nothing picked yet: the stream is unfiltered until the first ticker shows up
      else if (!state.selected && Date.now() - lastTickersAt > 1000) void refreshTickers();
    }
  };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    setConn('closed', `reconnecting in ${(state.retryMs / 1000).toFixed(1)} s`);
    setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(10_000, state.retryMs * 2);
    state.ws = null;
  };
}

const refreshQueue = async () => {
  try {
    const q = await getJson('/api/v1/ingest/priority/queue');
    renderLevels(q.levels, Date.parse(q.at));
  } catch (err) {
    panelError($('#levels tbody'), 10, err);
  }
};

const slow = async () => {
  // the stream carries the queue; read it here only while the stream is silent
  if (Date.now() - lastQueueAt > 2 * SLOW_MS) await refreshQueue();
  await Promise.all([refreshTickers(), refreshSources(), refreshRules(), refreshDeadLetters()]);
  if (state.selected) await refreshChart();
};

window.addEventListener('hashchange', () => {
  const h = new URLSearchParams(location.hash.slice(1));
  const t = state.tickers.find((x) => x.ticker === h.get('ticker') && (!h.get('kind') || x.kind === h.get('kind')));
  if (t && (!state.selected || keyOf(t) !== keyOf(state.selected))) select(t);
});
$('#ticker').addEventListener('change', (ev) => {
  const t = state.tickers.find((x) => keyOf(x) === ev.target.value);
  if (t) select(t);
});

renderLevels(null);
renderChart();
connect();
void refreshQueue().then(slow);
setInterval(() => void slow(), SLOW_MS);
