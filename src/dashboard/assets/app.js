// The electorate dashboard: one card per node, a message view and a timeline, fed by the
// server's WebSocket (a hello, then a frame about ten times a second). No dependencies.

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** Sets text or an attribute only when it changed: most frames change little. */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

// Figures the end-to-end test and the benchmark read.
const stats = {
  frames: 0,
  lastFrameAt: 0,
  frameLatencyMs: [],
  renderMs: [],
  leaderLagMs: [],
  hello: null,
};
window.__dashboard = stats;

let hello = null;
let socket = null;
let ref = 0;
const cards = new Map();
const lastLinks = new Map();
const linkRates = new Map();
let lastFrameTime = 0;
const termWord = { raft: 'term', bully: 'round', les: 'round', kv: 'token', entropy: 'round' };

function send(command) {
  if (socket === null || socket.readyState !== WebSocket.OPEN) return;
  ref += 1;
  socket.send(JSON.stringify({ ...command, ref }));
}

function showReply(text, error) {
  const reply = $('#reply');
  reply.textContent = text;
  reply.classList.toggle('error', error);
}

function chartElement() {
  if (!hello.chart) return null;
  const doc = new DOMParser().parseFromString(hello.chart, 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  for (const style of svg.querySelectorAll('style')) style.remove();
  return svg;
}

function buildCard(id) {
  const card = el('article', { class: 'card', 'data-node': id, 'data-alive': 'true' });
  const head = el('h3');
  head.append(
    el('span', { class: 'name' }, id),
    el('span', { class: 'role', 'data-role': '' }, '…'),
  );
  const facts = el('dl', { class: 'facts' });
  const fact = (label, cls) => {
    const dd = el('dd', { class: cls });
    facts.append(el('dt', {}, label), dd);
    return dd;
  };
  const refs = {
    card,
    role: $('.role', head),
    leader: fact('leader', 'leader-of'),
    term: fact(termWord[hello.protocol] ?? 'term', 'term'),
    msgs: fact('msgs', 'msgs'),
    drops: fact('drops', 'drops'),
    peers: el('div', { class: 'peers' }),
    peerChips: new Map(),
    chart: chartElement(),
    states: '',
  };
  const actions = el('div', { class: 'actions' });
  for (const act of ['kill', 'restart', 'resign']) {
    if (!hello.controls.includes(act)) continue;
    const button = el(
      'button',
      { type: 'button', 'data-act': act },
      act[0].toUpperCase() + act.slice(1),
    );
    button.addEventListener('click', () => send({ type: act, node: id }));
    actions.append(button);
    refs[act] = button;
  }
  card.append(head, facts);
  if (refs.chart) {
    refs.chart.addEventListener('click', () => openChart(id));
    card.append(refs.chart);
  }
  card.append(refs.peers, actions);
  return refs;
}

function onHello(message) {
  hello = message;
  stats.hello = message;
  setText($('#title'), message.title);
  document.title = `electorate: ${message.title}`;
  // A node's own page is served by its --http server, which also answers /metrics and /diag.
  $('#node-links').hidden = message.mode !== 'node';
  const root = $('#cards');
  root.replaceChildren();
  cards.clear();
  for (const id of message.nodes) {
    const refs = buildCard(id);
    cards.set(id, refs);
    root.append(refs.card);
  }
  const controls = $('#controls');
  controls.hidden = message.controls.length === 0;
  for (const node of controls.querySelectorAll('[data-control]')) {
    node.hidden = !message.controls.includes(node.dataset.control);
  }
  const chips = $('#partition-nodes');
  chips.replaceChildren();
  for (const id of message.nodes) {
    const chip = el(
      'button',
      { type: 'button', class: 'chip', 'data-node': id, 'data-side': '2' },
      id,
    );
    chip.addEventListener('click', () => {
      chip.dataset.side = chip.dataset.side === '1' ? '2' : '1';
    });
    chips.append(chip);
  }
  for (const select of [$('#link-from'), $('#link-to')]) {
    select.replaceChildren(...message.nodes.map((id) => el('option', { value: id }, id)));
  }
  if (message.nodes.length > 1) $('#link-to').value = message.nodes[1];
  buildNetwork(message.nodes);
}

// The message view: nodes on a ring, a line per pair that talks, dots for sampled messages.
const positions = new Map();
const lines = new Map();
const circles = new Map();
const dots = [];

function buildNetwork(ids) {
  const svg = $('#network');
  svg.replaceChildren();
  positions.clear();
  lines.clear();
  circles.clear();
  const linkLayer = svg.appendChild(svgEl('g'));
  const dotLayer = svgEl('g');
  const nodeLayer = svgEl('g');
  ids.forEach((id, i) => {
    const angle = (2 * Math.PI * i) / ids.length - Math.PI / 2;
    positions.set(id, { x: 100 * Math.cos(angle), y: 100 * Math.sin(angle) });
  });
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const a = positions.get(ids[i]);
      const b = positions.get(ids[j]);
      const line = svgEl('line', {
        class: 'link',
        x1: a.x,
        y1: a.y,
        x2: b.x,
        y2: b.y,
        'stroke-width': 0,
      });
      linkLayer.append(line);
      lines.set(`${ids[i]} ${ids[j]}`, line);
    }
  }
  const r = ids.length > 12 ? 8 : 12;
  for (const id of ids) {
    const p = positions.get(id);
    const g = svgEl('g', { 'data-node': id });
    const circle = svgEl('circle', { class: 'node', cx: p.x, cy: p.y, r });
    const label = svgEl('text', { x: p.x, y: p.y });
    label.textContent = id;
    g.append(circle, label);
    nodeLayer.append(g);
    circles.set(id, circle);
  }
  svg.append(dotLayer, nodeLayer);
  svg.dotLayer = dotLayer;
}

let lastDrawn = 0;
function animateDots(now) {
  requestAnimationFrame(animateDots);
  // About 30 moves a second is smooth enough, and halves the repainting of the ring.
  if (dots.length === 0 || now - lastDrawn < 30) return;
  lastDrawn = now;
  for (let i = dots.length - 1; i >= 0; i--) {
    const d = dots[i];
    const f = Math.min(1, (now - d.start) / 350);
    d.node.setAttribute('cx', d.a.x + (d.b.x - d.a.x) * f);
    d.node.setAttribute('cy', d.a.y + (d.b.y - d.a.y) * f);
    if (f >= 1) {
      d.node.remove();
      dots.splice(i, 1);
    }
  }
}
requestAnimationFrame(animateDots);

function pairKey(a, b) {
  const ia = hello.nodes.indexOf(a);
  const ib = hello.nodes.indexOf(b);
  return ia < ib ? `${a} ${b}` : `${b} ${a}`;
}

function updateNetwork(frame, groupOf, seconds) {
  const pairRate = new Map();
  for (const [from, to, sent] of frame.links) {
    const key = `${from} ${to}`;
    const before = lastLinks.get(key) ?? sent;
    lastLinks.set(key, sent);
    // Smoothed messages per second on this link.
    const rate = seconds > 0 ? (sent - before) / seconds : 0;
    const smooth = 0.7 * (linkRates.get(key) ?? rate) + 0.3 * rate;
    linkRates.set(key, smooth);
    const pair = pairKey(from, to);
    pairRate.set(pair, (pairRate.get(pair) ?? 0) + smooth);
  }
  for (const [pair, line] of lines) {
    const rate = pairRate.get(pair) ?? 0;
    setAttr(line, 'stroke-width', String(Math.min(4, rate / 10).toFixed(1)));
    const [a, b] = pair.split(' ');
    const cut = groupOf.has(a) && groupOf.has(b) && groupOf.get(a) !== groupOf.get(b);
    setAttr(line, 'class', cut ? 'link cut' : 'link');
    if (cut && line.getAttribute('stroke-width') === '0.0') setAttr(line, 'stroke-width', '1');
  }
  const layer = $('#network').dotLayer;
  const now = performance.now();
  // A sample is enough to see who talks to whom; more dots would only cost repainting.
  for (const m of frame.messages.slice(-6)) {
    const a = positions.get(m.from);
    const b = positions.get(m.to);
    if (!a || !b || dots.length > 30) continue;
    const node = svgEl('circle', { class: 'dot', r: 2.5, cx: a.x, cy: a.y });
    layer.append(node);
    dots.push({ node, a, b, start: now });
  }
}

/** A single node's page: its members around it, a line to each it heard from lately. */
function showPeers(node) {
  if (!node) return;
  const ids = [node.id, ...node.peers.map((p) => p.id)];
  if (positions.size !== ids.length || !ids.every((id) => positions.has(id))) buildNetwork(ids);
  for (const peer of node.peers) {
    const line = lines.get(pairKeyOf(ids, node.id, peer.id));
    if (!line) continue;
    const fresh = peer.silentMs !== null && peer.silentMs < 1000;
    setAttr(line, 'stroke-width', fresh ? '2' : '0');
  }
}

function pairKeyOf(ids, a, b) {
  return ids.indexOf(a) < ids.indexOf(b) ? `${a} ${b}` : `${b} ${a}`;
}

function appendLog(list, items, max) {
  for (const item of items) list.prepend(item);
  while (list.childElementCount > max) list.lastElementChild.remove();
}

function clock(at) {
  return new Date(at).toISOString().slice(11, 23);
}

function onFrame(frame) {
  const received = Date.now();
  stats.frames += 1;
  stats.lastFrameAt = received;
  if (typeof frame.at === 'number') {
    stats.frameLatencyMs.push(received - frame.at);
    if (stats.frameLatencyMs.length > 1000) stats.frameLatencyMs.shift();
  }
  const seconds = lastFrameTime === 0 ? 0 : (received - lastFrameTime) / 1000;
  lastFrameTime = received;
  const groupOf = new Map();
  frame.faults.groups.forEach((group, i) => {
    for (const id of group) groupOf.set(id, i);
  });
  const faultDrops = new Map();
  for (const c of frame.faults.counts)
    faultDrops.set(c.to, (faultDrops.get(c.to) ?? 0) + c.dropped);
  const leaders = new Set();
  for (const node of frame.nodes) {
    const refs = cards.get(node.id);
    if (!refs) continue;
    if (node.isLeader) leaders.add(node.id);
    setAttr(refs.card, 'data-alive', String(node.alive));
    setAttr(refs.card, 'data-leading', String(node.alive && node.role === 'leader'));
    setAttr(refs.card, 'data-group', groupOf.has(node.id) ? String(groupOf.get(node.id)) : '');
    const role = node.alive ? node.role : 'down';
    setText(refs.role, role);
    setAttr(refs.role, 'data-role', role);
    // A candidate follows nobody, whatever leader it heard from last.
    const leaderText = !node.alive
      ? '—'
      : node.role === 'candidate'
        ? 'none'
        : node.leaders && node.leaders.length > 1
          ? node.leaders.join(', ')
          : (node.leader ?? 'none');
    setText(refs.leader, leaderText);
    setText(refs.term, node.term === null ? '—' : String(node.term));
    setText(refs.msgs, `${node.messages.sent} sent, ${node.messages.received} received`);
    const transportDrops = Object.values(node.dropped).reduce((s, n) => s + n, 0);
    setText(refs.drops, `${transportDrops} invalid, ${faultDrops.get(node.id) ?? 0} by faults`);
    if (refs.kill) refs.kill.disabled = !node.alive;
    if (refs.restart) refs.restart.disabled = node.alive;
    if (refs.resign) refs.resign.disabled = !(node.alive && node.role === 'leader');
    const states = node.states.join(' ');
    if (refs.chart && states !== refs.states) {
      refs.states = states;
      refs.active = node.states;
      highlight(refs.chart, node.states);
      if (zoomed !== null && zoomed.id === node.id) highlight(zoomed.svg, node.states);
    }
    updatePeers(refs, node);
    const circle = circles.get(node.id);
    if (circle)
      setAttr(
        circle,
        'class',
        !node.alive ? 'node dead' : node.role === 'leader' ? 'node leader' : 'node',
      );
  }
  updateShards(frame.shards);
  if (hello.mode === 'node') showPeers(frame.nodes[0]);
  else updateNetwork(frame, groupOf, seconds);
  const live = frame.nodes.filter((n) => n.alive);
  setText(
    $('#summary'),
    `${live.length}/${frame.nodes.length} up · leader ${[...leaders].join(', ') || 'none'}`,
  );
  const total = frame.messageTotal;
  if (stats.lastTotal !== undefined && seconds > 0) {
    setText($('#rate'), `${Math.round((total - stats.lastTotal) / seconds)} msg/s`);
  }
  stats.lastTotal = total;
  appendLog(
    $('#messages'),
    frame.messages
      .slice(-12)
      .map((m) => el('li', {}, `${(m.t / 1000).toFixed(2)}s ${m.from}→${m.to} ${m.kind}`)),
    40,
  );
  appendLog(
    $('#timeline'),
    frame.timeline.map((e) => el('li', { 'data-kind': e.kind }, `${clock(e.at)} ${e.text}`)),
    200,
  );
  // How long after a node took the lead its card said so (same machine, same clock).
  const shown = Date.now();
  for (const e of frame.timeline) {
    if (e.kind === 'leader' && / leads/.test(e.text)) stats.leaderLagMs.push(shown - e.at);
  }
}

// A group's elections, one cell each, coloured by leader. Colours follow the leaders' ids in
// sorted order, so every member's page colours a leader alike.
const SHARD_COLOURS = ['#3b6fd8', '#d8893b', '#2f9e63', '#a33bd8', '#d83b5a', '#2fb3c4', '#8a8f3b'];
const NO_LEADER = '#c9ccd6';
const shardCells = new Map();

function updateShards(shards) {
  const section = $('#shards');
  if (shards === undefined) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const leaders = [...new Set(shards.map((s) => s.leader).filter((l) => l !== null))].sort();
  const colour = (leader) =>
    leader === null ? NO_LEADER : SHARD_COLOURS[leaders.indexOf(leader) % SHARD_COLOURS.length];
  const grid = $('#shard-grid');
  for (const shard of shards) {
    let cell = shardCells.get(shard.name);
    if (!cell) {
      cell = el('span', { class: 'shard', role: 'img', 'data-shard': shard.name });
      grid.append(cell);
      shardCells.set(shard.name, cell);
    }
    const label = `${shard.name}: ${shard.leader ?? 'no leader'}`;
    setAttr(cell, 'data-leader', shard.leader ?? '');
    setAttr(cell, 'title', label);
    setAttr(cell, 'aria-label', label);
    setAttr(cell, 'style', `background: ${colour(shard.leader)}`);
  }
  const counts = [...leaders, null].map((leader) => ({
    leader,
    n: shards.filter((s) => s.leader === leader).length,
  }));
  const legend = $('#shard-legend');
  const text = counts.map((c) => `${c.leader ?? 'none'} ${c.n}`).join(' ');
  if (legend.dataset.text === text) return;
  legend.dataset.text = text;
  legend.replaceChildren(
    ...counts
      .filter((c) => c.n > 0)
      .map((c) =>
        el('span', { 'data-leader': c.leader ?? '' }, `${c.leader ?? 'no leader'}: ${c.n}`),
      ),
  );
  for (const span of legend.children) {
    const swatch = el('i', { style: `background: ${colour(span.dataset.leader || null)}` });
    span.prepend(swatch);
  }
}

function highlight(svg, states) {
  // The machine's own box is always active; only the states inside it say anything.
  const active = new Set(states.slice(1));
  for (const rect of svg.querySelectorAll('rect[data-state]')) {
    rect.classList.toggle('active', active.has(rect.dataset.state));
  }
}

// One node's statechart, large, kept live while open.
let zoomed = null;
function openChart(id) {
  const refs = cards.get(id);
  const svg = chartElement();
  if (!refs || !svg) return;
  svg.setAttribute('class', 'chart large');
  highlight(svg, refs.active ?? []);
  $('#chart-view-title').textContent = `${id}: ${hello.protocol} statechart`;
  $('#chart-view-body').replaceChildren(svg);
  zoomed = { id, svg };
  $('#chart-view').showModal();
}
$('#chart-view').addEventListener('close', () => {
  zoomed = null;
});

function updatePeers(refs, node) {
  for (const peer of node.peers) {
    let chip = refs.peerChips.get(peer.id);
    if (!chip) {
      chip = el('span', { class: 'peer' }, peer.id);
      refs.peerChips.set(peer.id, chip);
      refs.peers.append(chip);
    }
    const fresh = peer.silentMs === null ? 'never' : peer.silentMs < 1000 ? 'fresh' : 'stale';
    setAttr(chip, 'data-fresh', fresh);
    const ago =
      peer.silentMs === null ? 'never heard' : `${(peer.silentMs / 1000).toFixed(1)} s ago`;
    setText(chip, fresh === 'stale' ? `${peer.id} ${Math.round(peer.silentMs / 1000)}s` : peer.id);
    setAttr(chip, 'title', `last contact: ${ago}`);
  }
}

function connect() {
  const url = new URL('ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  // A server started with a token is opened as /#token=TOKEN: the fragment never leaves the
  // browser, and a WebSocket cannot carry an Authorization header, so it rides in the query.
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (token !== null) url.searchParams.set('token', token);
  socket = new WebSocket(url);
  const status = $('#connection');
  socket.addEventListener('open', () => {
    status.dataset.state = 'open';
    status.textContent = 'live';
  });
  socket.addEventListener('close', () => {
    status.dataset.state = 'closed';
    status.textContent = 'disconnected';
    setTimeout(connect, 1000);
  });
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'hello') onHello(message);
    else if (message.type === 'frame' && hello) {
      const began = performance.now();
      onFrame(message);
      stats.renderMs.push(performance.now() - began);
      if (stats.renderMs.length > 1000) stats.renderMs.shift();
    } else if (message.type === 'ok') showReply(message.text, false);
    else if (message.type === 'error') showReply(message.error, true);
  });
}

$('#resign-leader').addEventListener('click', () => send({ type: 'resign' }));
$('#heal').addEventListener('click', () => {
  for (const chip of document.querySelectorAll('#partition-nodes .chip')) chip.dataset.side = '2';
  send({ type: 'heal' });
});
$('#partition-apply').addEventListener('click', () => {
  const chips = [...document.querySelectorAll('#partition-nodes .chip')];
  const side = (s) => chips.filter((c) => c.dataset.side === s).map((c) => c.dataset.node);
  const groups = [side('1'), side('2')];
  if (groups.some((g) => g.length === 0)) {
    showReply('pick the nodes of one side first (click them)', true);
    return;
  }
  send({ type: 'partition', groups });
});
$('#link-apply').addEventListener('click', () => {
  send({
    type: 'link',
    from: $('#link-from').value,
    to: $('#link-to').value,
    loss: Math.min(100, Math.max(0, Number($('#link-loss').value) || 0)) / 100,
    delayMs: Math.min(10000, Math.max(0, Number($('#link-delay').value) || 0)),
  });
});

connect();
