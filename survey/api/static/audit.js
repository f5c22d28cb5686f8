// The evaluator's audit form: works offline. Assignments and checklists are kept on the device after each load,
// drafts stay in localStorage, photos in IndexedDB, and everything is sent (photos first, then audits in batches
// of 10 with their client UUIDs) whenever the network is there. Nothing is deleted from the device before the
// server has answered "stored" or "already stored" for it.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const user = document.querySelector('meta[name="user"]').content;
  const CACHE = "survey.audit.cache." + user, DRAFTS = "survey.audit.drafts." + user, SENT_PHOTOS = "survey.audit.photos." + user;
  const app = document.getElementById("app"), state = document.getElementById("state");
  const RESULTS = [["conforms", "符合", "conforms"], ["partly", "部分符合", "partly"], ["not", "不符合", "does not"], ["na", "不适用", "n/a"]];
  let cache = load(CACHE, { assignments: [], checklists: {}, fetched_at: null });
  let drafts = load(DRAFTS, {});
  let sending = false, signedOut = false, open = null;

  function load(key, fallback) { try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; } }
  function save() { localStorage.setItem(DRAFTS, JSON.stringify(drafts)); }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else if (v !== false && v != null) node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) if (child != null) node.append(child.nodeType ? child : String(child));
    return node;
  }
  function fill(node, ...children) { node.replaceChildren(...children.flat(2).filter(child => child != null)); }
  function both(zh, en) { return [zh + " ", el("span", { class: "en" }, en)]; }
  function uuid() { return crypto.randomUUID ? crypto.randomUUID() : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, c => (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16)); }
  function now() { return new Date().toISOString(); }

  // --- photos in IndexedDB -------------------------------------------------------------------------------------
  function photoStore(mode) {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("survey-audit-photos", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("photos");
      request.onsuccess = () => resolve(request.result.transaction("photos", mode).objectStore("photos"));
      request.onerror = () => reject(request.error);
    });
  }
  async function keepPhoto(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise(resolve => canvas.toBlob(resolve, "image/jpeg", 0.8));
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    const sha256 = Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, "0")).join("");
    const store = await photoStore("readwrite");
    await new Promise((resolve, reject) => { const r = store.put(blob, sha256); r.onsuccess = resolve; r.onerror = () => reject(r.error); });
    return sha256;
  }
  async function photoBlob(sha256) {
    const store = await photoStore("readonly");
    return new Promise((resolve, reject) => { const r = store.get(sha256); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  }

  // --- talking to the server -----------------------------------------------------------------------------------
  async function call(method, path, body, type) {
    const headers = { "X-CSRF-Token": csrf };
    if (type) headers["Content-Type"] = type;
    const response = await fetch(path, { method, headers, body, credentials: "same-origin" });
    if (response.status === 401 || response.status === 403) { signedOut = true; throw new Error("signed out"); }
    return response;
  }
  async function refresh() {
    try {
      const answer = await call("GET", "/api/assignments?limit=200");
      if (!answer.ok) throw new Error(answer.status);
      const assignments = (await answer.json()).items, checklists = Object.assign({}, cache.checklists);
      for (const a of assignments) {
        const key = a.checklist + "-" + a.checklist_version;
        if (!checklists[key]) {
          const c = await call("GET", `/api/checklists/${a.checklist}/versions/${a.checklist_version}`);
          if (c.ok) checklists[key] = (await c.json()).checklist;
        }
      }
      cache = { assignments, checklists, fetched_at: now() };
      localStorage.setItem(CACHE, JSON.stringify(cache));
    } catch (e) { /* offline: the copy kept on the device is used */ }
    render();
  }
  async function sendAll() {
    if (sending || !navigator.onLine) return;
    const queued = Object.values(drafts).filter(d => d.state === "queued");
    if (!queued.length) return showState();
    sending = true; showState();
    try {
      const sent = new Set(load(SENT_PHOTOS, []));
      for (const draft of queued) for (const sha of draftPhotos(draft)) {
        if (sent.has(sha)) continue;
        const blob = await photoBlob(sha);
        if (!blob) continue;
        const answer = await call("POST", "/api/photos", blob, "image/jpeg");
        if (answer.ok) { sent.add(sha); localStorage.setItem(SENT_PHOTOS, JSON.stringify([...sent])); }
      }
      for (let i = 0; i < queued.length; i += 10) {
        const part = queued.slice(i, i + 10);
        const answer = await call("POST", "/api/audits/batch", JSON.stringify({ audits: part.map(d => d.body) }), "application/json");
        if (!answer.ok) { part.forEach(d => { d.problem = `HTTP ${answer.status}`; }); continue; }
        for (const result of (await answer.json()).results) {
          const draft = part[result.index];
          if (result.outcome === "stored" || result.outcome === "already_stored") {
            Object.assign(draft, { state: "sent", version: result.version, problem: null, flags: result.flags.map(f => f.detail) });
          } else {
            Object.assign(draft, { state: "refused", problem: result.errors.map(e => `${e.field}: ${e.reason}`).join("; ") });
          }
        }
        save();
      }
    } catch (e) { /* the network went away half way: what was not answered is still queued */ }
    sending = false; save(); render();
  }
  function draftPhotos(draft) {
    const items = Object.values(draft.body.items).flatMap(a => a.photos || []);
    return items.concat(...draft.body.deductions.map(d => d.photos || []));
  }

  // --- what the page shows ---------------------------------------------------------------------------------------
  function showState() {
    const all = Object.values(drafts);
    const count = s => all.filter(d => d.state === s).length;
    state.className = navigator.onLine ? "online" : "";
    fill(state, 
      el("div", {}, navigator.onLine ? both("在线", "Online") : both("离线：草稿保存在本机", "Offline: drafts are kept on this device")),
      el("div", {}, both(`本机保存：草稿 ${count("draft")}，待发送 ${count("queued")}`, `On this device: ${count("draft")} drafts, ${count("queued")} waiting to send`)),
      el("div", {}, both(`已送达服务器：${count("sent")}`, `Reached the server: ${count("sent")}`),
        count("refused") ? el("span", { class: "err" }, ` · ${count("refused")} 被拒绝 refused`) : null),
      sending ? el("div", {}, both("正在发送…", "Sending…")) : null,
      signedOut ? el("div", { class: "err" }, both("登录已过期，草稿仍在本机。", "Your sign-in expired; the drafts stay on this device."),
        el("a", { href: "/login?next=/audit" }, "重新登录 Sign in again")) : null,
      cache.fetched_at ? el("div", { class: "muted" }, `任务更新于 Assignments as of ${new Date(cache.fetched_at).toLocaleString()}`) : null);
  }
  function badge(draft) {
    if (!draft) return el("span", { class: "badge" }, "未开始 not started");
    const labels = { draft: ["device", "仅在本机（草稿）", "on this device only (draft)"], queued: ["device", "在本机，等待发送", "on this device, waiting to send"],
      sent: ["server", `已送达服务器 v${draft.version}`, `on the server, version ${draft.version}`], refused: ["bad", "服务器拒收", "refused by the server"] };
    const [kind, zh, en] = labels[draft.state];
    return el("span", { class: "badge " + kind }, `${zh} · ${en}`);
  }
  function render() {
    showState();
    if (open) return renderForm(open);
    const list = cache.assignments.map(a => {
      const mine = Object.values(drafts).filter(d => d.body.assignment === a.id);
      return el("div", { class: "card" },
        el("strong", {}, a.outlet_name), " · ", a.enterprise_name,
        el("div", { class: "muted" }, `${a.outlet_address} · ${a.opens_on} – ${a.closes_on} · ${a.checklist} v${a.checklist_version}`),
        mine.map(d => el("div", {}, badge(d), " ", d.problem ? el("span", { class: "err" }, d.problem) : null,
          el("button", { type: "button", onclick: () => { open = d.body.id; render(); } }, "打开 Open"))),
        el("button", { type: "button", onclick: () => start(a) }, "新测评 New audit"));
    });
    fill(app, el("h1", {}, both("我的任务", "My assignments")),
      list.length ? list : el("p", {}, both("暂无任务（或尚未联网加载）。", "No assignments (or not loaded online yet).")));
  }
  function start(assignment) {
    const id = uuid();
    drafts[id] = { state: "draft", version: null, problem: null, body: {
      id, assignment: assignment.id, checklist: assignment.checklist, version: assignment.checklist_version,
      started_at: now(), visited_at: now(), submitted_at: now(), position: null, items: {}, deductions: [], bonus: null, notes: "" } };
    save(); open = id; render();
  }
  function renderForm(id) {
    const draft = drafts[id], body = draft.body;
    const assignment = cache.assignments.find(a => a.id === body.assignment) || {};
    const checklist = cache.checklists[body.checklist + "-" + body.version];
    const editable = draft.state !== "queued";
    const change = () => { if (draft.state === "sent" || draft.state === "refused") { body.replaces = draft.state === "sent" ? draft.version : body.replaces; draft.state = "draft"; } save(); showState(); };
    const parts = [el("button", { type: "button", onclick: () => { open = null; render(); } }, "← 返回 Back"),
      el("h1", {}, assignment.outlet_name || "", " · ", assignment.enterprise_name || ""), badge(draft),
      draft.problem ? el("p", { class: "err" }, draft.problem) : null,
      (draft.flags || []).length ? el("p", { class: "muted" }, "提示 Flags: " + draft.flags.join("; ")) : null];
    if (!checklist) { fill(app, ...parts, el("p", { class: "err" }, both("本机没有此测评表，请联网后刷新。", "This checklist is not on the device; reload when online."))); return; }
    const where = body.position ? `${body.position.latitude.toFixed(5)}, ${body.position.longitude.toFixed(5)} ±${Math.round(body.position.accuracy_m)} m` : "—";
    parts.push(el("div", { class: "card" }, both("到店时间与位置", "Visit time and position"), el("div", { class: "muted" }, `${new Date(body.visited_at).toLocaleString()} · ${where}`),
      el("button", { type: "button", disabled: !editable, onclick: () => locate(draft) }, "记录位置 Record position")));
    for (const family of checklist.families) {
      parts.push(el("h2", {}, both(family.title.zh, family.title.en)));
      for (const item of family.items) parts.push(renderItem(item, body, editable, change));
    }
    parts.push(el("h2", {}, both("特别扣分与加分", "Special deductions and bonus")));
    for (const special of checklist.deductions) {
      const n = body.deductions.filter(d => d.code === special.code).length;
      parts.push(el("div", { class: "item" }, both(special.text.zh, special.text.en), el("div", { class: "sample" }, "× ",
        el("input", { type: "number", min: 0, max: 20, value: n, disabled: !editable, onchange: e => {
          body.deductions = body.deductions.filter(d => d.code !== special.code).concat(Array.from({ length: Math.min(20, +e.target.value || 0) }, () => ({ code: special.code, note: "" })));
          change(); } }))));
    }
    parts.push(el("div", { class: "choices" }, [{ code: null, text: { zh: "无加分", en: "no bonus" } }, ...checklist.bonuses].map(b =>
      el("label", {}, el("input", { type: "radio", name: "bonus", checked: (body.bonus && body.bonus.code) === b.code || (!body.bonus && !b.code), disabled: !editable,
        onchange: () => { body.bonus = b.code ? { code: b.code, note: "" } : null; change(); } }), b.text.zh + " " + b.text.en))));
    parts.push(el("h2", {}, both("备注", "Notes")), el("textarea", { maxlength: 1000, disabled: !editable, oninput: e => { body.notes = e.target.value; change(); } }, body.notes));
    parts.push(el("button", { type: "button", class: "primary", disabled: !editable, onclick: () => submit(draft, checklist) },
      "保存并发送 Save and send"), el("p", { class: "muted" }, both("离线时保存在本机，联网后自动发送。", "Offline, it is kept on this device and sent when the network returns.")));
    fill(app, ...parts);
  }
  function renderItem(item, body, editable, change) {
    const answer = body.items[item.code] || (body.items[item.code] = { note: "", photos: [] });
    const box = el("div", { class: "item", id: "item-" + item.code }, el("div", {}, el("strong", {}, item.code), " ", both(item.text.zh, item.text.en), ` (${item.points})`));
    const results = RESULTS.filter(([code]) => item.type === "check" ? code !== "na" || item.na : code === "na" && item.na);
    if (item.type === "sampled") {
      box.append(el("div", { class: "sample" }, both("抽样", "sample"), el("input", { type: "number", min: 1, max: 10000, value: answer.sample ?? "", disabled: !editable,
        oninput: e => { answer.sample = e.target.value === "" ? null : +e.target.value; delete answer.result; change(); } }),
        both("符合", "conforming"), el("input", { type: "number", min: 0, max: 10000, value: answer.conforming ?? "", disabled: !editable,
        oninput: e => { answer.conforming = e.target.value === "" ? null : +e.target.value; delete answer.result; change(); } }),
        el("span", { class: "muted" }, `${item.unit.zh} ${item.unit.en} ≥ ${item.sample_min}`)));
    }
    if (results.length) box.append(el("div", { class: "choices" }, results.map(([code, zh, en]) => el("label", {},
      el("input", { type: "radio", name: "r-" + item.code, checked: answer.result === code, disabled: !editable,
        onchange: () => { answer.result = code; if (code === "na") { answer.sample = null; answer.conforming = null; } change(); } }), zh + " " + en))));
    box.append(el("input", { type: "text", placeholder: "说明 note", maxlength: 1000, value: answer.note || "", disabled: !editable, oninput: e => { answer.note = e.target.value; change(); } }));
    if ((item.evidence || []).includes("photo")) {
      box.append(el("label", { class: "button" }, "拍照 Photo", el("input", { type: "file", accept: "image/*", capture: "environment", hidden: true, disabled: !editable,
        onchange: async e => { for (const file of e.target.files) { answer.photos = (answer.photos || []).concat(await keepPhoto(file)); } change(); render(); } })),
        el("span", { class: "muted" }, ` ${(answer.photos || []).length} 张 photos`));
    }
    return box;
  }
  function locate(draft) {
    if (!navigator.geolocation) return alert("此设备不能定位 / no position on this device");
    navigator.geolocation.getCurrentPosition(p => {
      draft.body.position = { latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy_m: Math.min(100000, p.coords.accuracy), at: new Date(p.timestamp).toISOString() };
      draft.body.visited_at = now(); save(); render();
    }, e => alert("定位失败 / position failed: " + e.message), { enableHighAccuracy: true, timeout: 30000 });
  }
  function clean(body, checklist) {
    const items = {};
    for (const family of checklist.families) for (const item of family.items) {
      const a = body.items[item.code] || {};
      items[item.code] = a.result === "na" || item.type === "check" ? { result: a.result ?? null, note: a.note || "", photos: a.photos || [] }
        : { sample: a.sample ?? null, conforming: a.conforming ?? null, note: a.note || "", photos: a.photos || [] };
    }
    return items;
  }
  function submit(draft, checklist) {
    const missing = checklist.families.flatMap(f => f.items).filter(item => {
      const a = draft.body.items[item.code] || {};
      return !(a.result || (item.type === "sampled" && a.sample >= 1 && a.conforming != null));
    });
    if (missing.length) { alert(`还有 ${missing.length} 项未填写 / ${missing.length} items unanswered: ` + missing.map(i => i.code).join(", ")); return; }
    draft.body.items = clean(draft.body, checklist);
    draft.body.submitted_at = now();
    if (new Date(draft.body.visited_at) > new Date(draft.body.submitted_at)) draft.body.visited_at = draft.body.submitted_at;
    draft.state = "queued"; draft.problem = null; save(); open = null; render(); sendAll();
  }

  window.addEventListener("online", () => { showState(); sendAll(); refresh(); });
  window.addEventListener("offline", showState);
  setInterval(sendAll, 30000);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/audit-sw.js", { scope: "/audit" }).catch(() => {});
  render(); refresh().then(sendAll);
})();
