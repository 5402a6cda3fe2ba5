// kb's ranking in JavaScript, shared by the docs site's search worker (worker.js) and the parity test that runs it
// under Node (tests/node/parity.mjs): every function here mirrors a Python one (named beside it) and ranks exactly
// as `kb ask` does, from the same chunk vectors, BM25 weights, exact-match keys and typo vocabulary exported from
// kb's index (kb/site/search_bundle.py).
import { newStemmer } from "snowball-stemmers";

const stemmer = newStemmer("english");

// The index as the worker holds it: the JSON metadata and views into the one binary file of arrays.
export function openIndex(meta, buffer) {
  const view = (spec, Type) => new Type(buffer, spec.offset, spec.length);
  const a = meta.arrays;
  return {
    meta,
    vectors: view(a.vectors, Float32Array),
    chunkPage: view(a.chunk_page, Int32Array),
    bm25: { data: view(a.bm25_data, Float32Array), indices: view(a.bm25_indices, Int32Array),
            indptr: view(a.bm25_indptr, Int32Array) },
    stopwords: new Set(meta.lexical.stopwords),
    spelling: meta.spelling && { targets: new Map(Object.entries(meta.spelling.targets)),
                                 known: new Set(meta.spelling.known), minLength: meta.spelling.min_length },
  };
}

// --- the query, as kb/query.py prepares a one-line query: whitespace folded, at most 900 characters
export function prepare(text) {
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "").split(/\s+/).filter(Boolean).join(" ").slice(0, 900);
}

// --- typos: kb/spelling.py Spelling.correct (a word neither in the library nor English -> the library word one
// edit away, a swapped pair or doubled letter first, then the most frequent)
const LETTERS = "abcdefghijklmnopqrstuvwxyz";
function edits1(word) {
  const out = new Set();
  for (let i = 0; i <= word.length; i++) {
    const a = word.slice(0, i), b = word.slice(i);
    if (b) out.add(a + b.slice(1));
    if (b.length > 1) out.add(a + b[1] + b[0] + b.slice(2));
    for (const c of LETTERS) {
      if (b) out.add(a + c + b.slice(1));
      out.add(a + c + b);
    }
  }
  return out;
}

function likelySlip(typed, word) {
  if (typed.length === word.length) {
    const diff = [];
    for (let i = 0; i < word.length; i++) if (typed[i] !== word[i]) diff.push(i);
    return diff.length === 2 && diff[1] === diff[0] + 1 && typed[diff[0]] === word[diff[1]];
  }
  const [long, short] = word.length > typed.length ? [word, typed] : [typed, word];
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  return (i > 0 && long[i - 1] === long[i]) || (i + 1 < long.length && long[i + 1] === long[i]);
}

export function correct(index, text) {
  const spelling = index.spelling;
  const corrections = [];
  if (!spelling) return { text, corrections };
  const fixed = text.replace(/(?<![\p{L}\p{N}_])[A-Za-z]+(?![\p{L}\p{N}_])/gu, (word) => {  // Python's \w
    const lower = word.toLowerCase();
    const rest = word.slice(1);
    if (word.length < spelling.minLength || rest !== rest.toLowerCase() || spelling.targets.has(lower)
        || spelling.known.has(lower)) return word;
    // Python's min(key=(not likely_slip, -count, word)): slips first, then the most frequent, then a-z
    const key = (c) => [likelySlip(lower, c) ? 0 : 1, -spelling.targets.get(c), c];
    const before = (a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : 1);
    const candidates = [...edits1(lower)]
      .filter((c) => spelling.targets.has(c) && (c.length >= lower.length || likelySlip(lower, c))).map(key);
    if (!candidates.length) return word;
    const best = candidates.reduce((a, b) => (before(b, a) < 0 ? b : a))[2];
    corrections.push([word, best]);
    return best;
  });
  return { text: fixed, corrections };
}

// Words of the query look up plain JSON objects: "constructor" or "__proto__" must not find Object.prototype's
// members (a query quoting "DDP constructor" turned the calibrator's logit into NaN), so only own keys count.
const own = (object, key) => (Object.hasOwn(object, key) ? object[key] : undefined);

// --- lexical: kb/index.py bm25_tokens (lowercase, \b\w\w+\b, English stopwords, Snowball stems)
export function bm25Tokens(index, text) {
  const words = text.toLowerCase().match(/[\p{L}\p{N}\p{M}_]{2,}/gu) || []; // = Python's \b\w\w+\b
  const stems = index.meta.lexical.stems; // surface form -> the stem Python computed, for every word in the pages
  return words.filter((w) => !index.stopwords.has(w)).map((w) => own(stems, w) ?? stemmer.stem(w));
}

export function lexicalScores(index, text) {
  const { vocab } = index.meta.lexical;
  const { data, indices, indptr } = index.bm25;
  const out = new Float64Array(index.meta.pages.length);
  for (const token of bm25Tokens(index, text)) {
    const column = own(vocab, token);
    if (column === undefined || column + 1 >= indptr.length) continue;
    for (let i = indptr[column]; i < indptr[column + 1]; i++) out[indices[i]] += data[i];
  }
  return out;
}

// --- exact matches: kb/index.py ExactIndex (slug, title, alias or short error string equal to the whole query;
// an error string of at least exact_window words contained in it)
const exactText = (text) => (text.toLowerCase().match(/[a-z0-9]+/g) || []).join(" ");

export function exactPages(index, texts) {
  const { equal, contained } = index.meta.exact;
  const window = index.meta.ranking.exact_window;
  const found = new Set();
  for (const text of texts) {
    const query = exactText(text);
    const padded = ` ${query} `;
    for (const [key, page] of equal) if (key === query) found.add(page);
    for (const [key, page] of contained) {
      const head = key.split(" ").slice(0, window).join(" ");
      if (padded.includes(` ${head} `) && query.includes(key)) found.add(page);
    }
  }
  return found;
}

// --- dense: mean-pooled, normalized MiniLM embedding (kb/onnx_model.py)
export async function embed(index, model, ort, text) {
  const { session, tokenizer } = model;
  const encoded = tokenizer.encode(text);
  const ids = encoded.ids.slice(0, index.meta.model.max_seq_length);
  const n = ids.length;
  const feeds = {
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
    token_type_ids: new ort.Tensor("int64", new BigInt64Array(n), [1, n]),
  };
  const wanted = {};
  for (const name of session.inputNames) wanted[name] = feeds[name];
  const output = (await session.run(wanted))[session.outputNames[0]];
  const dim = output.dims[2];
  const hidden = output.data;
  const vector = new Float64Array(dim);
  if (index.meta.model.pooling === "cls") {
    for (let d = 0; d < dim; d++) vector[d] = hidden[d];
  } else {
    for (let t = 0; t < n; t++) for (let d = 0; d < dim; d++) vector[d] += hidden[t * dim + d];
    for (let d = 0; d < dim; d++) vector[d] /= n;
  }
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += vector[d] * vector[d];
  norm = Math.max(Math.sqrt(norm), 1e-12);
  for (let d = 0; d < dim; d++) vector[d] /= norm;
  return vector;
}

// --- ranking: kb/search.py Searcher.search, mode "fused" (or "lexical" before the model is ready)
// ranks (1 = best) of pages by a score, ties broken by page order (numpy's stable argsort of -score)
function ranksOf(values) {
  const order = values.map((v, i) => [v, i]).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  const rank = new Array(values.length);
  order.forEach(([, i], r) => { rank[i] = r + 1; });
  return rank;
}

// --- the second stage: kb/rerank.py (features, the linear reranker, the calibrated "confident")
const KINDS = ["title", "symptom", "section"];

function linear(model, x) {
  let z = model.bias;
  for (let i = 0; i < x.length; i++) z += ((x[i] - model.mean[i]) / model.scale[i]) * model.weights[i];
  return z;
}

function coverage(index, tokens, candidates) {  // kb.rerank.coverage
  const { vocab } = index.meta.lexical;
  const { indices, indptr } = index.bm25;
  const n = Math.max(index.meta.pages.length, 1);
  const distinct = [...new Set(tokens)];
  const covered = new Map(candidates.map((p) => [p, 0]));
  if (!distinct.length) return { covered, unknown: 0 };
  let total = 0, missing = 0;
  for (const token of distinct) {
    const column = own(vocab, token);
    const known = column !== undefined && column + 1 < indptr.length;
    const df = known ? indptr[column + 1] - indptr[column] : 0;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    total += idf;
    if (!df) { missing += idf; continue; }
    for (let i = indptr[column]; i < indptr[column + 1]; i++) {
      if (covered.has(indices[i])) covered.set(indices[i], covered.get(indices[i]) + idf);
    }
  }
  total = total || 1;
  for (const [p, v] of covered) covered.set(p, v / total);
  return { covered, unknown: missing / total };
}

function queryWords(index, text) {  // kb.rerank.query_words
  const words = text.toLowerCase().match(/[\p{L}\p{N}\p{M}_]{2,}/gu) || [];
  return words.filter((w) => !index.stopwords.has(w));
}

function calibratorLogit(calibrator, answerFeatures, vector, words) {  // kb.rerank.Calibrator.logit
  let z = linear(calibrator.answer, answerFeatures);
  for (let d = 0; d < vector.length; d++) z += vector[d] * calibrator.embedding[d];
  const counts = new Map();
  for (const w of words) if (own(calibrator.words, w)) counts.set(w, (counts.get(w) || 0) + 1);
  if (counts.size) {
    const values = [...counts].map(([w, c]) => [w, (1 + Math.log(c)) * calibrator.words[w][0]]);
    const norm = Math.sqrt(values.reduce((s, [, v]) => s + v * v, 0));
    for (const [w, v] of values) z += (v / norm) * calibrator.words[w][1];
  }
  return z;
}

export function rank(index, query, text, vector, corrections = []) {  // kb/search.py Searcher.search
  const { pages, ranking, chunks: chunkMeta } = index.meta;
  const lexical = lexicalScores(index, text);
  const exact = exactPages(index, [query, text]);
  let topLexical = 0;
  for (const s of lexical) topLexical = Math.max(topLexical, s);
  const lexicalNorm = Array.from(lexical, (s) => (topLexical > 0 ? s / topLexical : 0));
  if (!vector) {  // keyword results while the model loads: BM25 and exact matches alone
    const scored = [];
    lexical.forEach((s, p) => {
      const bonus = exact.has(p) ? ranking.exact_bonus : 0;
      if (s > 0 || bonus) scored.push({ page: p, score: lexicalNorm[p] + bonus, chunk: null });
    });
    scored.sort((x, y) => y.score - x.score);
    return { confident: true, results: scored.slice(0, ranking.results), corrections };
  }
  const dim = vector.length;
  const perPage = pages.map(() => []);
  const byKind = Object.fromEntries(KINDS.map((k) => [k, new Float64Array(pages.length).fill(-Infinity)]));
  for (let c = 0; c < index.chunkPage.length; c++) {
    let dot = 0;
    const row = c * dim;
    for (let d = 0; d < dim; d++) dot += index.vectors[row + d] * vector[d];
    const p = index.chunkPage[c];
    perPage[p].push([dot, c]);
    const kind = byKind[chunkMeta[c].kind];
    if (dot > kind[p]) kind[p] = dot;
  }
  let bestChunk = -Infinity;
  const best = new Float64Array(pages.length).fill(-Infinity);
  const dense = new Float64Array(pages.length).fill(-Infinity);
  const bestRow = new Int32Array(pages.length).fill(-1);
  const scored = [];
  perPage.forEach((hits, p) => {
    if (!hits.length) return;
    hits.sort((x, y) => y[0] - x[0]);
    const top = hits.slice(0, ranking.dense_top);
    const mean = top.reduce((sum, h) => sum + h[0], 0) / top.length;
    best[p] = top[0][0];
    bestRow[p] = top[0][1];
    dense[p] = (top[0][0] + mean) / 2;
    bestChunk = Math.max(bestChunk, top[0][0]);
    const bonus = exact.has(p) ? ranking.exact_bonus : 0;
    scored.push({ page: p, score: dense[p] + ranking.lexical_weight * lexicalNorm[p] + bonus, chunk: top[0][1] });
  });
  scored.sort((x, y) => y.score - x.score);
  const firstStageConfident = bestChunk >= ranking.confident_score || exact.size > 0;
  const model = ranking.model;
  if (!model) return { confident: firstStageConfident, results: scored.slice(0, ranking.results), corrections };
  // the second stage
  const denseRank = ranksOf(Array.from(dense));
  const lexicalRank = ranksOf(Array.from(lexical));
  const candidates = scored.slice(0, model.candidates).map((s) => s.page);
  const { covered, unknown } = coverage(index, bm25Tokens(index, text), candidates);
  const words = text.split(/\s+/).filter(Boolean).length;
  const finite = (v, fallback) => (Number.isFinite(v) ? v : fallback);
  const features = candidates.map((p) => [
    dense[p], best[p], finite(byKind.title[p], best[p]), finite(byKind.symptom[p], best[p]),
    finite(byKind.section[p], best[p]), lexicalNorm[p], Math.log1p(Math.max(lexical[p], 0)), covered.get(p),
    exact.has(p) ? 1 : 0, 1 / denseRank[p], lexical[p] > 0 ? 1 / lexicalRank[p] : 0,
    pages[p].category === model.hub_category ? 1 : 0,
    pages[p].category === model.hub_category && words <= 8 ? 1 : 0,
  ]);
  const reranked = candidates.map((p, i) => ({ page: p, score: linear(model.reranker, features[i]),
                                               chunk: bestRow[p], features: features[i] }));
  // an exact match stays first, as in the first stage, lifted one above the best other page (Searcher.rerank)
  const exactScores = reranked.filter((r) => r.features[8] > 0).map((r) => r.score);
  if (exactScores.length) {
    const lift = Math.max(...reranked.map((r) => r.score)) - Math.min(...exactScores) + 1;
    for (const r of reranked) if (r.features[8] > 0) r.score += lift;
  }
  reranked.sort((x, y) => y.score - x.score);
  const results = [...reranked, ...scored.slice(candidates.length)];
  const top = reranked[0];
  const answer = [top.score, reranked.length > 1 ? top.score - reranked[1].score : 0, top.features[1],
                  top.features[7], unknown, exact.size > 0 ? 1 : 0, Math.log1p(words)];
  const z = calibratorLogit(model.calibrator, answer, vector, queryWords(index, text));
  const probability = z > -60 ? 1 / (1 + Math.exp(-z)) : 0;
  const confident = (probability >= model.threshold && firstStageConfident) || exact.size > 0;
  return { confident, results: results.slice(0, ranking.results), corrections };
}

