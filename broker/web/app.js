// The zerotask dashboard: plain JavaScript over the broker's HTTP interface
// (docs/HTTP.md), no framework and no build step.
//
// What it reads: GET /api/overview (counters, queues, nodes, functions) and
// GET /tasks (the task list) every few seconds and soon after any broker event
// (GET /events); GET /tasks/{id} and GET /events?task={id} for the open task.
// What it changes: POST /tasks, DELETE /tasks/{id}, POST /tasks/{id}/retry.
//
// Everything that comes from the broker is put into the page as text
// (textContent, never innerHTML): task params, results and errors are data that
// anyone who can submit a task chooses.
'use strict';

(() => {
  const kPageSize = 50;
  const kRefreshEveryMs = 5000;
  // Events can come by the thousand a second on a busy broker: they only ask
  // for a refresh, and refreshes are at least this far apart.
  const kMinRefreshGapMs = 1000;
  const kStates = ['PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
  const kFinalStates = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

  const byId = (id) => document.getElementById(id);

  const view = {
    filterState: '',
    filterFunction: '',
    page: 0, // 0 is the newest page
    total: 0,
    selectedId: null,
    selectedTask: null, // the last task object read or updated from events
    taskStream: null,
    detailLoading: false,
    detailStale: false, // an event came while the task was being read: read it again
    lastRefresh: 0,
    refreshTimer: null,
    refreshing: false,
    refreshAgain: false,
  };

  // ---- small helpers ------------------------------------------------------

  // Builds an element; strings among the children become text nodes.
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'className') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function setText(id, text) {
    byId(id).textContent = text;
  }

  // Short values on one line, longer ones indented.
  function formatJson(value) {
    if (value === undefined) return '';
    const compact = JSON.stringify(value);
    return compact.length <= 60 ? compact : JSON.stringify(value, null, 2);
  }

  // "850 ms", "4.2 s", "3 min", "5 h", "2 d".
  function formatDuration(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
    const abs = Math.max(0, ms);
    if (abs < 1000) return `${Math.round(abs)} ms`;
    if (abs < 60000) return `${(abs / 1000).toFixed(abs < 10000 ? 1 : 0)} s`;
    if (abs < 3600000) return `${Math.floor(abs / 60000)} min`;
    if (abs < 86400000) return `${Math.floor(abs / 3600000)} h`;
    return `${Math.floor(abs / 86400000)} d`;
  }

  function formatAgo(timestamp) {
    if (typeof timestamp !== 'number') return '—';
    return `${formatDuration(Date.now() - timestamp)} ago`;
  }

  function formatTime(timestamp) {
    if (typeof timestamp !== 'number') return '—';
    const date = new Date(timestamp);
    const sameDay = date.toDateString() === new Date().toDateString();
    const time = date.toLocaleTimeString([], {hour12: false});
    return sameDay ? time : `${date.toLocaleDateString()} ${time}`;
  }

  function tookMs(task) {
    if (typeof task.started_at !== 'number') return undefined;
    const end = typeof task.ended_at === 'number' ? task.ended_at : Date.now();
    return end - task.started_at;
  }

  function stateBadge(state) {
    return el('span', {className: `badge state-${String(state).toLowerCase()}`, text: state});
  }

  // The broker's lists come as {"nodes": [...]} and {"functions": [...]}.
  function listOf(value, key) {
    if (Array.isArray(value)) return value;
    if (value && Array.isArray(value[key])) return value[key];
    return [];
  }

  // Replaces what `container` holds. Parts rebuilt every few seconds must not take
  // the keyboard focus away: a focused task button is focused again in the new content.
  function replaceKeepingFocus(container, children) {
    const focused = document.activeElement;
    const focusedId = focused && container.contains(focused) ? focused.dataset.taskId : undefined;
    container.replaceChildren(...children);
    if (focusedId) {
      const again = container.querySelector(`button[data-task-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }

  function emptyRow(columns, text) {
    return el('tr', {className: 'empty'}, el('td', {colspan: columns, text}));
  }

  // ---- talking to the broker ----------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // One HTTP call; resolves with the parsed JSON body, or rejects with an
  // ApiError carrying the broker's error message.
  async function api(method, path, body) {
    const init = {method, headers: {Accept: 'application/json'}, cache: 'no-store'};
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new ApiError(0, 0, 'the broker cannot be reached');
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && data.error;
      const message = detail && detail.message ? detail.message : `HTTP ${response.status} ${response.statusText}`;
      throw new ApiError(response.status, detail && detail.code ? detail.code : 0, message);
    }
    return data;
  }

  function taskPath(id) {
    return `/tasks/${encodeURIComponent(id)}`;
  }

  // ---- connection state and banner ----------------------------------------

  const connection = {streamOpen: false, overviewOk: false};

  function renderConnection() {
    const dot = byId('live-dot');
    let text = 'live';
    let mode = 'live';
    if (!connection.overviewOk) {
      text = 'broker unreachable';
      mode = 'down';
    } else if (!connection.streamOpen) {
      text = 'polling (event stream reconnecting)';
      mode = 'degraded';
    }
    dot.className = `live-dot ${mode}`;
    setText('live-text', text);
  }

  function showBanner(text) {
    const banner = byId('banner');
    banner.textContent = text;
    banner.hidden = false;
  }

  function hideBanner() {
    byId('banner').hidden = true;
  }

  // ---- overview -----------------------------------------------------------

  function renderStats(stats) {
    const counts = (stats && stats.tasks) || {};
    for (const state of kStates) {
      setText(`stat-${state}`, typeof counts[state] === 'number' ? counts[state].toLocaleString() : '0');
    }
    const running = typeof stats.running === 'number' ? stats.running : 0;
    const slots = typeof stats.slots === 'number' ? stats.slots : 0;
    setText('stat-slots', `${running} / ${slots}`);
    setText('stat-submitted', typeof stats.submitted === 'number' ? stats.submitted.toLocaleString() : '—');
    setText('stat-retried', typeof stats.retried === 'number' ? stats.retried.toLocaleString() : '—');

    const meta = [];
    if (stats.version) meta.push(`v${stats.version}`);
    if (stats.store) meta.push(`${stats.store} store`);
    if (typeof stats.uptime_ms === 'number') meta.push(`up ${formatDuration(stats.uptime_ms)}`);
    setText('broker-meta', meta.join(' · '));
  }

  function renderQueues(queues) {
    const body = byId('queues-table').tBodies[0];
    const rows = queues.map((queue) => el('tr', {},
        el('td', {className: 'name', text: queue.queue}),
        el('td', {className: 'num', text: String(queue.depth ?? 0)}),
        el('td', {className: 'num', text: queue.depth > 0 && typeof queue.oldest_age_ms === 'number'
          ? formatDuration(queue.oldest_age_ms) : '—'})));
    body.replaceChildren(...(rows.length ? rows : [emptyRow(3, 'No task is waiting in any queue.')]));
  }

  function renderNodes(nodes) {
    const body = byId('nodes-table').tBodies[0];
    const rows = nodes.map((node) => {
      const functions = listOf(node.functions, 'functions').map((f) => (typeof f === 'string' ? f : f.name));
      const slots = Number(node.slots) || 0;
      const running = Number(node.running) || 0;
      const load = slots + running > 0 ? Math.min(100, (100 * running) / Math.max(slots, running)) : 0;
      return el('tr', {},
          el('td', {className: 'name', title: node.name},
              el('div', {text: node.name}),
              el('div', {className: 'sub', text: functions.join(', '), title: functions.join(', ')})),
          el('td', {className: 'num'},
              el('div', {text: `${running} / ${slots}`}),
              el('div', {className: 'meter', 'aria-hidden': 'true'},
                  el('div', {className: 'meter-fill', style: `width: ${load}%`}))),
          el('td', {className: 'num', text: typeof node.idle_ms === 'number' ? `${formatDuration(node.idle_ms)} ago` : '—'}));
    });
    body.replaceChildren(...(rows.length ? rows : [emptyRow(3, 'No node is connected.')]));
  }

  function renderFunctions(functions) {
    const body = byId('functions-table').tBodies[0];
    const rows = functions.map((fn) => el('tr', {className: fn.nodes === 0 ? 'warn' : undefined},
        el('td', {className: 'name', text: fn.name, title: fn.nodes === 0 ? `${fn.name}: no connected node serves it` : fn.name}),
        el('td', {className: 'num', text: String(fn.nodes ?? 0)}),
        el('td', {className: 'num', text: String(fn.queued ?? 0)}),
        el('td', {className: 'num', text: String(fn.running ?? 0)})));
    body.replaceChildren(...(rows.length ? rows : [emptyRow(4, 'No function is known yet.')]));

    // The submit form suggests these names; the task filter offers them.
    const names = functions.map((fn) => fn.name);
    byId('function-names').replaceChildren(...names.map((name) => el('option', {value: name})));
    const select = byId('filter-function');
    if (view.filterFunction && !names.includes(view.filterFunction)) names.push(view.filterFunction);
    select.replaceChildren(el('option', {value: '', text: 'all'}),
        ...names.map((name) => el('option', {value: name, text: name})));
    select.value = view.filterFunction;
  }

  async function loadOverview() {
    try {
      const overview = await api('GET', '/api/overview');
      connection.overviewOk = true;
      const stats = overview.stats || {};
      renderStats(stats);
      renderQueues(Array.isArray(overview.queues) ? overview.queues : []);
      renderNodes(listOf(overview.nodes, 'nodes'));
      renderFunctions(listOf(overview.functions, 'functions'));
      if (stats.store_ok === false) {
        showBanner('The broker\'s store cannot write (a full disk or an I/O error): submissions, cancels and retries are refused until it can.');
      } else {
        hideBanner();
      }
    } catch (error) {
      connection.overviewOk = false;
      showBanner(`Cannot read the broker's overview: ${error.message}. Retrying every ${kRefreshEveryMs / 1000} s.`);
    }
    renderConnection();
  }

  // ---- task list ----------------------------------------------------------

  function taskRow(task) {
    const open = el('button', {type: 'button', className: 'link task-link', text: task.id,
      dataset: {taskId: task.id}, 'aria-label': `Open task ${task.id}`});
    const row = el('tr', {dataset: {taskId: task.id}, className: task.id === view.selectedId ? 'selected' : undefined},
        el('td', {}, open),
        el('td', {className: 'name', text: task.function}),
        el('td', {}, stateBadge(task.state)),
        el('td', {className: 'num opt', text: String(task.attempt ?? 0)}),
        el('td', {className: 'num opt-narrow', text: formatAgo(task.created_at), title: formatTime(task.created_at)}),
        el('td', {className: 'num opt', text: formatDuration(tookMs(task))}));
    return row;
  }

  // task.list is oldest first: the newest page is the last one, so the total
  // is read first and the page counted back from the end.
  async function loadTasks() {
    const query = new URLSearchParams();
    if (view.filterState) query.set('state', view.filterState);
    if (view.filterFunction) query.set('function', view.filterFunction);
    try {
      query.set('offset', '0');
      query.set('limit', String(kPageSize));
      const first = await api('GET', `/tasks?${query}`);
      const total = Number(first.total) || 0;
      const lastPage = Math.max(0, Math.ceil(total / kPageSize) - 1);
      if (view.page > lastPage) view.page = lastPage;
      const end = Math.max(0, total - view.page * kPageSize);
      const offset = Math.max(0, end - kPageSize);
      let tasks = listOf(first.tasks, 'tasks');
      if (offset > 0 && end > offset) {
        query.set('offset', String(offset));
        query.set('limit', String(end - offset));
        tasks = listOf((await api('GET', `/tasks?${query}`)).tasks, 'tasks');
      }
      view.total = total;
      renderTasks(tasks.slice(0, end - offset).reverse(), offset, end);
    } catch (error) {
      const body = byId('tasks-table').tBodies[0];
      body.replaceChildren(emptyRow(6, `Cannot list the tasks: ${error.message}`));
    }
  }

  function renderTasks(tasks, offset, end) {
    const body = byId('tasks-table').tBodies[0];
    const description = view.filterState ? `${view.filterState.toLowerCase()} ` : '';
    replaceKeepingFocus(body, tasks.length ? tasks.map(taskRow) : [emptyRow(6, `No ${description}task.`)]);
    setText('tasks-range', view.total === 0 ? '' :
      `${(view.total - end + 1).toLocaleString()}–${(view.total - offset).toLocaleString()} of ${view.total.toLocaleString()}, newest first`);
    byId('page-newer').disabled = view.page === 0;
    byId('page-older').disabled = offset === 0;
    for (const button of document.querySelectorAll('.stat[data-state]')) {
      button.setAttribute('aria-pressed', String(button.dataset.state === view.filterState));
    }
  }

  // ---- refresh scheduling -------------------------------------------------

  async function refresh() {
    if (view.refreshing) {
      view.refreshAgain = true;
      return;
    }
    view.refreshing = true;
    view.lastRefresh = Date.now();
    try {
      await Promise.all([loadOverview(), loadTasks()]);
    } finally {
      view.refreshing = false;
      if (view.refreshAgain) {
        view.refreshAgain = false;
        scheduleRefresh();
      }
    }
  }

  // Refreshes soon, but not more often than kMinRefreshGapMs.
  function scheduleRefresh(now = false) {
    if (document.hidden) return; // caught up when the page is shown again
    if (view.refreshTimer !== null) {
      if (!now) return;
      clearTimeout(view.refreshTimer);
    }
    const wait = now ? 0 : Math.max(0, view.lastRefresh + kMinRefreshGapMs - Date.now());
    view.refreshTimer = setTimeout(() => {
      view.refreshTimer = null;
      refresh();
    }, wait);
  }

  function openGlobalStream() {
    const source = new EventSource('/events');
    source.onopen = () => {
      connection.streamOpen = true;
      renderConnection();
    };
    source.onerror = () => {
      // EventSource reconnects by itself; the periodic refresh goes on meanwhile.
      connection.streamOpen = source.readyState === EventSource.OPEN;
      renderConnection();
    };
    for (const kind of ['task', 'queue', 'node']) source.addEventListener(kind, () => scheduleRefresh());
    source.addEventListener('broker', (event) => {
      let body = null;
      try {
        body = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (body && body.event === 'stopping') {
        showBanner('The broker is stopping.');
        connection.overviewOk = false;
        renderConnection();
      }
    });
  }

  // ---- task detail --------------------------------------------------------

  // One line of the detail's fields; `value` is text or an element, and absent
  // values make no line.
  function field(list, label, value, className) {
    if (value === undefined || value === null || value === '') return;
    list.append(el('dt', {text: label}), el('dd', {className}, value instanceof Node ? value : String(value)));
  }

  // The ids of tasks as buttons that open them.
  function taskLinks(ids) {
    const links = el('span', {className: 'task-links'});
    for (const id of ids) {
      links.append(el('button', {type: 'button', className: 'link', text: String(id), dataset: {taskId: String(id)},
        onclick: () => openTask(String(id))}));
    }
    return links;
  }

  function renderProgress(task) {
    const block = byId('detail-progress-block');
    const bar = byId('detail-progress');
    const fill = byId('detail-progress-fill');
    const progress = task.progress;
    if (progress === undefined || progress === null) {
      block.hidden = true;
      return;
    }
    block.hidden = false;
    const done = progress && typeof progress.done === 'number' ? progress.done : null;
    const total = progress && typeof progress.total === 'number' ? progress.total : null;
    const measured = done !== null && total !== null && total > 0;
    let text;
    if (measured) {
      const percent = Math.max(0, Math.min(100, (100 * done) / total));
      fill.style.width = `${percent}%`;
      bar.setAttribute('aria-valuemax', String(total));
      bar.setAttribute('aria-valuenow', String(done));
      bar.setAttribute('aria-valuetext', `${done} of ${total}`);
      text = `${done.toLocaleString()} / ${total.toLocaleString()} (${Math.floor(percent)}%)`;
    } else {
      // Progress of another shape: shown as it is, over a full striped bar.
      fill.style.width = '100%';
      bar.removeAttribute('aria-valuenow');
      bar.removeAttribute('aria-valuemax');
      bar.setAttribute('aria-valuetext', JSON.stringify(progress));
      text = typeof progress === 'string' ? progress : JSON.stringify(progress);
    }
    if (progress && typeof progress.message === 'string') text += ` — ${progress.message}`;
    bar.className = `progress state-${String(task.state).toLowerCase()}${measured ? '' : ' indeterminate'}`;
    setText('detail-progress-text', text);
  }

  function renderOutcome(task) {
    const box = byId('detail-outcome');
    const parts = [];
    if (task.error) {
      const error = task.error;
      const type = error.data && error.data.type;
      parts.push(el('h3', {text: 'Error'}),
          el('div', {className: 'error-box'},
              el('div', {className: 'error-message', text: error.message ?? ''}),
              el('div', {className: 'sub', text: [`code ${error.code}`, type].filter(Boolean).join(' · ')})));
      if (error.data && Object.keys(error.data).some((key) => key !== 'type')) {
        parts.push(el('pre', {className: 'json', text: formatJson(error.data)}));
      }
    }
    if (Object.prototype.hasOwnProperty.call(task, 'result')) {
      parts.push(el('h3', {text: 'Result'}), el('pre', {className: 'json', id: 'detail-result', text: formatJson(task.result)}));
    }
    box.replaceChildren(...parts);
  }

  function renderPartials(task) {
    const partials = Array.isArray(task.partials) ? task.partials : [];
    byId('detail-partials').hidden = partials.length === 0;
    const items = partials.map((partial) => el('li', {}, el('pre', {className: 'json', text: formatJson(partial)})));
    if (task.partials_truncated) items.push(el('li', {className: 'muted', text: 'Later partial results were dropped (past the broker\'s payload limit).'}));
    byId('detail-partials-list').replaceChildren(...items);
  }

  function renderDetailState(task) {
    const badge = byId('detail-state');
    badge.className = `badge state-${String(task.state).toLowerCase()}`;
    badge.textContent = task.cancel_requested ? `${task.state} · cancelling` : task.state;
  }

  function renderDetail() {
    const task = view.selectedTask;
    if (!task) return;
    renderDetailState(task);
    renderProgress(task);

    renderFields(task);

    byId('action-cancel').disabled = kFinalStates.has(task.state) || task.cancel_requested === true;
    byId('action-retry').disabled = task.state !== 'FAILED';

    byId('detail-params').textContent = formatJson(task.params);
    renderOutcome(task);
    renderPartials(task);
  }

  // The task's fields; again every second, for the times that count up.
  function renderFields(task) {
    const fields = document.createDocumentFragment();
    field(fields, 'Function', task.function, 'code');
    field(fields, 'Queue', task.queue !== undefined ? `${task.queue} (priority ${task.priority ?? 0})` : undefined);
    const retries = task.max_retries !== undefined ? `${task.retries ?? 0} of ${task.max_retries}` : String(task.retries ?? 0);
    field(fields, 'Attempt', `${task.attempt ?? 0} (retries ${retries})`);
    field(fields, 'Node', task.node, 'code');
    field(fields, 'Created', task.created_at !== undefined ? `${formatTime(task.created_at)} (${formatAgo(task.created_at)})` : undefined);
    field(fields, 'Started', task.started_at !== undefined ? formatTime(task.started_at) : undefined);
    field(fields, 'Ended', task.ended_at !== undefined ? formatTime(task.ended_at) : undefined);
    field(fields, task.ended_at !== undefined ? 'Took' : 'Running for',
        tookMs(task) !== undefined ? formatDuration(tookMs(task)) : undefined);
    field(fields, 'Runs at', task.run_at !== undefined ? formatTime(task.run_at) : undefined);
    field(fields, 'Waiting for', task.waiting_for !== undefined ? `${task.waiting_for} dependenc${task.waiting_for === 1 ? 'y' : 'ies'}` : undefined);
    field(fields, 'Depends on', Array.isArray(task.depends_on) && task.depends_on.length ? taskLinks(task.depends_on) : undefined);
    field(fields, 'Held', task.held, 'warn-text');
    field(fields, 'Timeout', task.timeout_ms !== undefined ? formatDuration(task.timeout_ms) : undefined);
    field(fields, 'Idempotency key', task.idempotency_key, 'code');
    replaceKeepingFocus(byId('detail-fields'), [fields]);
  }

  function showActionMessage(text, kind) {
    const message = byId('action-message');
    message.textContent = text;
    message.className = `message ${kind}`;
    message.hidden = !text;
  }

  function renderDetailLive() {
    const open = view.taskStream !== null && view.taskStream.readyState === EventSource.OPEN;
    byId('detail-live').hidden = !open;
  }

  function closeTaskStream() {
    if (view.taskStream) view.taskStream.close();
    view.taskStream = null;
  }

  // Reads the open task. A read asked for while one is under way (an event came,
  // or another task was opened) is made when that one ends, since it may be newer.
  async function loadDetail() {
    const id = view.selectedId;
    if (!id) return;
    if (view.detailLoading) {
      view.detailStale = true;
      return;
    }
    view.detailLoading = true;
    try {
      const task = await api('GET', taskPath(id));
      if (view.selectedId !== id) return;
      view.selectedTask = task;
      renderDetail();
    } catch (error) {
      if (view.selectedId !== id) return;
      if (error.status === 404) {
        closeTask();
        byId('detail-empty').textContent = `No task ${id}: the broker never had it, or has forgotten it.`;
      } else {
        showActionMessage(`Cannot read the task: ${error.message}`, 'error');
      }
    } finally {
      view.detailLoading = false;
      if (view.detailStale) {
        view.detailStale = false;
        loadDetail();
      }
    }
  }

  function onTaskEvent(id, event) {
    if (view.selectedId !== id) return;
    let body;
    try {
      body = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (!body || body.id !== id) return;
    const task = view.selectedTask;
    if (!task || view.detailLoading) {
      loadDetail();
      return;
    }
    const current = typeof body.attempt === 'number' && body.attempt >= (task.attempt ?? 0) &&
        !(kFinalStates.has(task.state) && body.attempt === task.attempt);
    if (body.progress !== undefined) {
      // Progress is applied as it comes: it is the live part of the view.
      if (!current) return;
      task.progress = body.progress;
      task.state = body.state || task.state;
      task.attempt = body.attempt;
      renderDetailState(task);
      renderProgress(task);
      return;
    }
    if (body.partial !== undefined) {
      if (!current) return;
      if (!Array.isArray(task.partials)) task.partials = [];
      if (body.index === task.partials.length) {
        task.partials.push(body.partial);
        renderPartials(task);
      } else if (body.index > task.partials.length) {
        loadDetail(); // one was missed: read them all
      }
      return;
    }
    // A change of state: the task is read again for its timestamps, result or error.
    loadDetail();
  }

  function openTaskStream(id) {
    closeTaskStream();
    const source = new EventSource(`/events?task=${encodeURIComponent(id)}`);
    source.addEventListener('task', (event) => onTaskEvent(id, event));
    source.onopen = () => {
      renderDetailLive();
      // Reconnected after a gap: what changed meanwhile is read, not replayed.
      if (view.selectedTask) loadDetail();
    };
    source.onerror = renderDetailLive;
    view.taskStream = source;
  }

  function highlightSelectedRow() {
    for (const row of byId('tasks-table').tBodies[0].rows) {
      row.classList.toggle('selected', row.dataset.taskId === view.selectedId);
    }
  }

  // In one column the detail is below the list: bring it into sight.
  function revealDetail() {
    const card = byId('detail');
    const box = card.getBoundingClientRect();
    if (box.top >= window.innerHeight || box.bottom <= 0) card.scrollIntoView({block: 'start'});
  }

  function openTask(id) {
    if (!id) return;
    view.selectedId = id;
    view.selectedTask = null;
    showActionMessage('', '');
    byId('detail-empty').hidden = true;
    byId('detail-body').hidden = false;
    byId('detail-close').hidden = false;
    setText('detail-id', id);
    const badge = byId('detail-state');
    badge.className = 'badge';
    badge.textContent = 'loading…';
    byId('detail-progress-block').hidden = true;
    byId('detail-fields').replaceChildren();
    byId('detail-params').textContent = '';
    byId('detail-outcome').replaceChildren();
    byId('detail-partials').hidden = true;
    byId('action-cancel').disabled = true;
    byId('action-retry').disabled = true;
    highlightSelectedRow();
    if (location.hash !== `#task=${id}`) history.replaceState(null, '', `#task=${encodeURIComponent(id)}`);
    revealDetail();
    // Subscribe first, then read: nothing that happens in between is missed.
    openTaskStream(id);
    loadDetail();
  }

  function closeTask() {
    closeTaskStream();
    view.selectedId = null;
    view.selectedTask = null;
    byId('detail-body').hidden = true;
    byId('detail-close').hidden = true;
    const empty = byId('detail-empty');
    empty.hidden = false;
    empty.textContent = 'Choose a task in the list to see its details and follow it live.';
    highlightSelectedRow();
    history.replaceState(null, '', location.pathname + location.search);
  }

  async function runAction(kind) {
    const id = view.selectedId;
    if (!id) return;
    const button = byId(kind === 'cancel' ? 'action-cancel' : 'action-retry');
    button.disabled = true;
    showActionMessage(kind === 'cancel' ? 'Cancelling…' : 'Retrying…', 'pending');
    try {
      const task = kind === 'cancel' ? await api('DELETE', taskPath(id)) : await api('POST', `${taskPath(id)}/retry`);
      if (view.selectedId !== id) return;
      if (task && task.id === id) view.selectedTask = task;
      renderDetail();
      // Events of the task may have overtaken this answer: a read sent after it
      // is at least as new.
      loadDetail();
      if (kind === 'retry') {
        showActionMessage('Queued again with a fresh retry budget.', 'ok');
      } else if (task && task.state === 'CANCELLED') {
        showActionMessage('Cancelled.', 'ok');
      } else {
        showActionMessage('Cancel requested: the task ends CANCELLED when its node reports, or after the broker\'s grace period.', 'ok');
      }
      scheduleRefresh(true);
    } catch (error) {
      if (view.selectedId !== id) return;
      showActionMessage(`${kind === 'cancel' ? 'Cancel' : 'Retry'} refused: ${error.message}`, 'error');
      renderDetail();
      loadDetail();
    }
  }

  // ---- submit form --------------------------------------------------------

  function showSubmitMessage(kind, ...content) {
    const message = byId('submit-message');
    message.replaceChildren(...content);
    message.className = `message ${kind}`;
    message.hidden = content.length === 0;
  }

  // The optional whole-number fields of the form and the task.submit option each sets.
  const kNumberOptions = [
    ['submit-priority', 'priority', 'Priority'],
    ['submit-max-retries', 'max_retries', 'Max retries'],
    ['submit-timeout', 'timeout_ms', 'Timeout'],
    ['submit-countdown', 'countdown_ms', 'Countdown'],
  ];

  // Builds the POST /tasks body from the form, or throws an Error saying what is wrong.
  function submissionFromForm() {
    const name = byId('submit-function').value.trim();
    if (!name) throw new Error('Name the function to run.');
    const text = byId('submit-params').value.trim();
    let params = [];
    if (text) {
      try {
        params = JSON.parse(text);
      } catch (error) {
        throw new Error(`Params are not valid JSON: ${error.message}`);
      }
    }
    const body = {function: name, params};
    const queue = byId('submit-queue').value.trim();
    if (queue) body.queue = queue;
    for (const [id, key, label] of kNumberOptions) {
      const raw = byId(id).value.trim();
      if (!raw) continue;
      const number = Number(raw);
      if (!Number.isInteger(number)) throw new Error(`${label} must be a whole number.`);
      body[key] = number;
    }
    return body;
  }

  async function submitTask(event) {
    event.preventDefault();
    let body;
    try {
      body = submissionFromForm();
    } catch (error) {
      showSubmitMessage('error', error.message);
      return;
    }
    const button = byId('submit-button');
    button.disabled = true;
    showSubmitMessage('pending', 'Submitting…');
    try {
      const answer = await api('POST', '/tasks', body);
      const id = answer && answer.id;
      const message = byId('submit-message');
      message.dataset.submittedId = id;
      showSubmitMessage('ok', answer.duplicate ? 'Already submitted as task ' : 'Submitted task ',
          el('button', {type: 'button', className: 'link', text: id, onclick: () => openTask(id)}),
          answer.state ? ` (${answer.state}).` : '.');
      scheduleRefresh(true);
    } catch (error) {
      delete byId('submit-message').dataset.submittedId;
      showSubmitMessage('error', `The broker refused the task: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  // ---- wiring -------------------------------------------------------------

  function setStateFilter(state) {
    view.filterState = state;
    view.page = 0;
    byId('filter-state').value = state;
    loadTasks();
  }

  function taskIdFromHash() {
    const match = /^#task=([^&]+)$/.exec(location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function start() {
    byId('filter-state').addEventListener('change', (event) => setStateFilter(event.target.value));
    byId('filter-function').addEventListener('change', (event) => {
      view.filterFunction = event.target.value;
      view.page = 0;
      loadTasks();
    });
    for (const button of document.querySelectorAll('.stat[data-state]')) {
      button.addEventListener('click', () => setStateFilter(view.filterState === button.dataset.state ? '' : button.dataset.state));
    }
    byId('page-newer').addEventListener('click', () => {
      view.page = Math.max(0, view.page - 1);
      loadTasks();
    });
    byId('page-older').addEventListener('click', () => {
      view.page += 1;
      loadTasks();
    });
    byId('tasks-table').tBodies[0].addEventListener('click', (event) => {
      const row = event.target.closest('tr[data-task-id]');
      if (row) openTask(row.dataset.taskId);
    });
    byId('detail-close').addEventListener('click', closeTask);
    byId('action-cancel').addEventListener('click', () => runAction('cancel'));
    byId('action-retry').addEventListener('click', () => runAction('retry'));
    byId('submit-form').addEventListener('submit', submitTask);
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && view.selectedId && !event.target.closest('input, textarea, select')) closeTask();
    });
    window.addEventListener('hashchange', () => {
      const id = taskIdFromHash();
      if (id && id !== view.selectedId) openTask(id);
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) scheduleRefresh(true);
    });

    openGlobalStream();
    refresh();
    setInterval(() => {
      if (document.hidden) return;
      scheduleRefresh();
      // Events are hints (a stream can drop some): an unfinished task is read again too.
      if (view.selectedId && !(view.selectedTask && kFinalStates.has(view.selectedTask.state))) loadDetail();
    }, kRefreshEveryMs);
    setInterval(() => {
      if (view.selectedTask && !document.hidden) renderFields(view.selectedTask);
    }, 1000);
    const id = taskIdFromHash();
    if (id) openTask(id);
  }

  start();
})();
