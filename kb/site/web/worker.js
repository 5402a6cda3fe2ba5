// kb's search worker for the docs site: speaks Material for MkDocs' search-worker protocol (pinned version, see
// kb/site/search_bundle.py) and ranks pages exactly as `kb ask` does (kb/search.py): the same MiniLM model (ONNX, weight-only
// int8, run by onnxruntime-web), the same chunk vectors and BM25 weights exported from kb's own index.
// Until the model is loaded (lazily, on the first query) it answers with BM25 (keyword) results.
import * as ort from "onnxruntime-web/wasm";
import { Tokenizer } from "@huggingface/tokenizers";
import { correct, embed, openIndex, prepare, rank } from "./ranking.js";

/* global KB_MANIFEST */
const MANIFEST = KB_MANIFEST; // file names (content-hashed) injected at build time
const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3; // Material's SearchMessageType
const DEBOUNCE_MS = 120; // queries arrive on every keystroke
const CACHE_NAME = "kb-search-v1"; // names are content-hashed, so a cached file never goes stale

const state = (self.kb = { index: "loading", model: "idle", latest: "", lastResult: null, timings: {} });
let index = null; // {meta, vectors}
let model = null; // {session, tokenizer}
let modelPromise = null;
let timer = null;

const assetUrl = (name) => new URL(name, self.location.href).href;

async function fetchCached(name) {
  const url = assetUrl(name);
  let cache = null;
  try {
    cache = await caches.open(CACHE_NAME);
    const hit = await cache.match(url);
    if (hit) return hit;
  } catch (e) {
    cache = null; // no Cache API (e.g. an insecure context): plain HTTP caching still applies
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  if (cache) await cache.put(url, response.clone()).catch(() => {});
  return response;
}

async function loadIndex() {
  const started = performance.now();
  const [meta, buffer] = await Promise.all([
    fetchCached(MANIFEST.meta).then((r) => r.json()),
    fetchCached(MANIFEST.arrays).then((r) => r.arrayBuffer()),
  ]);
  index = openIndex(meta, buffer);
  state.index = "ready";
  state.timings.index_ms = performance.now() - started;
}

function loadModel() {
  if (!modelPromise) {
    state.model = "loading";
    const started = performance.now();
    modelPromise = (async () => {
      const [wasm, onnx, tokenizerJson, tokenizerConfig] = await Promise.all([
        fetchCached(MANIFEST.wasm).then((r) => r.arrayBuffer()),
        fetchCached(MANIFEST.model).then((r) => r.arrayBuffer()),
        fetchCached(MANIFEST.tokenizer).then((r) => r.json()),
        fetchCached(MANIFEST.tokenizer_config).then((r) => r.json()),
      ]);
      ort.env.wasm.numThreads = 1; // plain single-threaded wasm: no cross-origin isolation needed
      ort.env.wasm.proxy = false;
      ort.env.wasm.wasmBinary = wasm;
      ort.env.logLevel = "error";
      const session = await ort.InferenceSession.create(new Uint8Array(onnx), {
        executionProviders: ["wasm"], graphOptimizationLevel: "basic" });
      model = { session, tokenizer: new Tokenizer(tokenizerJson, tokenizerConfig) };
      state.model = "ready";
      state.timings.model_ms = performance.now() - started;
    })().catch((error) => {
      state.model = "failed";
      state.error = String(error);
      console.warn("kb search: the semantic model could not be loaded; keyword results only.", error);
    });
  }
  return modelPromise;
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
  '"': "&quot;", "'": "&#39;" })[c]);

function toMaterial({ confident, results, corrections }, mode) {
  const { pages, chunks } = index.meta;
  const items = results.map((r, i) => {
    const page = pages[r.page];
    let text = `<p>${escapeHtml(page.summary)}</p>`;
    if (r.chunk !== null && chunks[r.chunk].label) text += `<p><em>Matched:</em> ${escapeHtml(chunks[r.chunk].label)}</p>`;
    if (!confident && i === 0) text = `<p><strong>No page covers this yet</strong>; nearest:</p>` + text;
    if (corrections.length && i === 0) {
      text = `<p><em>Read ${escapeHtml(corrections.map(([typed, read]) => `'${typed}' as '${read}'`).join(", "))}.</em></p>` + text;
    }
    return [{ location: page.url, title: escapeHtml(page.title), text, score: r.score, terms: {}, kb: { slug: page.slug, mode } }];
  });
  return { items };
}

function answer(query, mode, ranked, started) {
  if (query !== state.latest) return; // the user has typed on; this answer is stale
  state.lastResult = { query, mode, confident: ranked.confident, ms: performance.now() - started,
                       slugs: ranked.results.map((r) => index.meta.pages[r.page].slug), corrections: ranked.corrections };
  postMessage({ type: RESULT, data: toMaterial(ranked, mode) });
}

async function semantic(query) {
  const started = performance.now();
  const { text, corrections } = correct(index, prepare(query));
  const vector = await embed(index, model, ort, text);
  if (!state.timings.first_semantic_ms) state.timings.first_semantic_ms = performance.now() - state.timings.first_query_at;
  answer(query, "semantic", rank(index, query, text, vector, corrections), started);
}

async function onQuery(query) {
  state.latest = query;
  clearTimeout(timer);
  if (!query.trim()) {
    state.lastResult = { query, mode: "empty", slugs: [] };
    postMessage({ type: RESULT, data: { items: [] } });
    return;
  }
  if (state.timings.first_query_at === undefined) state.timings.first_query_at = performance.now();
  if (model) {
    timer = setTimeout(() => semantic(query).catch((e) => console.warn("kb search:", e)), DEBOUNCE_MS);
    return;
  }
  const started = performance.now();
  const { text, corrections } = correct(index, prepare(query));
  answer(query, "keyword", rank(index, query, text, null, corrections), started);
  await loadModel();
  if (model && state.latest === query) await semantic(query);
}

addEventListener("message", async (event) => {
  const message = event.data;
  if (message.type === SETUP) {
    try {
      await loadIndex();
    } catch (error) {
      state.index = "failed";
      state.error = String(error);
    }
    postMessage({ type: READY });
  } else if (message.type === QUERY) {
    if (!index) return postMessage({ type: RESULT, data: { items: [] } });
    await onQuery(message.data);
  }
});
