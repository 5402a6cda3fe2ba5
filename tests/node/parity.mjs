// Runs kb's JavaScript ranking (kb/site/web/ranking.js, as the site's worker does) under Node on an exported
// search bundle, for the parity test (tests/test_worker_parity.py).
// Usage: node parity.js BUNDLE_DIR MANIFEST_JSON QUERIES_JSON  ->  prints [{slugs, confident, corrections}] as JSON.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-web/wasm";
import { Tokenizer } from "@huggingface/tokenizers";
import { correct, embed, openIndex, prepare, rank } from "./ranking.js";

const [dir, manifestFile, queriesFile] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
const read = (key) => readFileSync(join(dir, manifest[key]));
const buffer = read("arrays");
const arrays = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
const index = openIndex(JSON.parse(read("meta").toString("utf8")), arrays);
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmBinary = read("wasm");
ort.env.logLevel = "error";
const session = await ort.InferenceSession.create(new Uint8Array(read("model")), {
  executionProviders: ["wasm"], graphOptimizationLevel: "basic" });
const tokenizer = new Tokenizer(JSON.parse(read("tokenizer").toString("utf8")),
                                JSON.parse(read("tokenizer_config").toString("utf8")));
const model = { session, tokenizer };
const out = [];
for (const query of JSON.parse(readFileSync(queriesFile, "utf8"))) {
  const { text, corrections } = correct(index, prepare(query));
  const vector = await embed(index, model, ort, text);
  const ranked = rank(index, query, text, vector, corrections);
  out.push({ slugs: ranked.results.map((r) => index.meta.pages[r.page].slug),
             scores: ranked.results.map((r) => r.score), confident: ranked.confident, corrections });
}
process.stdout.write(JSON.stringify(out));
