#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (CPU, npm's onnxruntime-node): the second oracle of onexn's
// model tests and the baseline of scripts/bench-models.sh.
//
//   node tools/ort/ort-run.mjs MODEL.onnx NAME=FILE.npy... [--out DIR] [--threads T]
//                              [--runs R] [--warmup W] [--profile PREFIX]
//
// Every model input is given as NAME=FILE.npy (float32, int64, ... as stored; a single-input
// model also takes a bare FILE.npy). --out DIR writes every graph output as DIR/NAME.npy in its
// own dtype (characters other than letters, digits, '.', '_', '-' in NAME become '_') and
// DIR/outputs.json: [{"name", "file", "dtype", "shape"}] in the model's output order.
// Session options, the ones that make a fair comparison: intraOpNumThreads = T (default 1),
// interOpNumThreads = 1, graphOptimizationLevel 'all'. With --runs R: W warm-up runs (default 3),
// then R timed runs; prints one JSON line with the median latency in ms (and min, max, every time).
// Without --runs: one run; prints one line per output (name, dtype, shape, min, max, mean).
// --profile PREFIX: ORT's per-node profile (enableProfiling), written to PREFIX_<date>.json.
// Exit codes: 0 success, 1 failure (unreadable file, model ORT rejects), 2 usage error.
import fs from 'node:fs';
import path from 'node:path';
import { readNpy, writeNpy } from './npy.mjs';

class UsageError extends Error {}

const USAGE = 'usage: ort-run.mjs MODEL.onnx NAME=FILE.npy... [--out DIR] [--threads T] [--runs R] [--warmup W] [--profile PREFIX]';

function positiveInt(flag, text, min) {
  if (!/^\d+$/.test(text ?? '') || Number(text) < min) throw new UsageError(`${flag} needs an integer >= ${min}, got '${text ?? ''}'`);
  return Number(text);
}

function parseArgs(argv) {
  const opt = { model: null, inputs: [], out: null, threads: 1, runs: 0, warmup: 3, profile: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--out') opt.out = value();
    else if (a === '--threads') opt.threads = positiveInt(a, value(), 1);
    else if (a === '--runs') opt.runs = positiveInt(a, value(), 1);
    else if (a === '--warmup') opt.warmup = positiveInt(a, value(), 0);
    else if (a === '--profile') opt.profile = value();
    else if (a === '-h' || a === '--help') throw new UsageError('');
    else if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
    else if (opt.model === null) opt.model = a;
    else {
      const eq = a.indexOf('=');
      opt.inputs.push(eq > 0 ? { name: a.slice(0, eq), file: a.slice(eq + 1) } : { name: null, file: a });
    }
  }
  if (opt.model === null) throw new UsageError('no model given');
  return opt;
}

// One feed per model input, matched by name; a bare FILE fits a single-input model.
function makeFeeds(session, given) {
  const names = session.inputNames;
  const feeds = {};
  for (const g of given) {
    let name = g.name;
    if (name === null) {
      if (names.length !== 1 || given.length !== 1) {
        throw new UsageError(`'${g.file}' needs a NAME= prefix: the model has inputs ${names.join(', ')}`);
      }
      name = names[0];
    }
    if (!names.includes(name)) throw new UsageError(`no model input '${name}' (the model has ${names.join(', ')})`);
    if (name in feeds) throw new UsageError(`input '${name}' given twice`);
    const t = readNpy(g.file);
    feeds[name] = new ort.Tensor(t.dtype, t.data, t.shape);
  }
  const missing = names.filter((n) => !(n in feeds));
  if (missing.length) throw new UsageError(`no value for model input(s) ${missing.join(', ')} (give NAME=FILE.npy)`);
  return feeds;
}

function fileNames(outputNames) {
  const used = new Set();
  return outputNames.map((name) => {
    let base = name.replace(/[^A-Za-z0-9._-]/g, '_') || 'output';
    for (let k = 1; used.has(base); ++k) base = `${name.replace(/[^A-Za-z0-9._-]/g, '_')}_${k}`;
    used.add(base);
    return `${base}.npy`;
  });
}

function summary(t) {
  if (t.data.length === 0 || typeof t.data[0] === 'bigint' || t.type === 'float16') return '';
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of t.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return ` min ${min} max ${max} mean ${sum / t.data.length}`;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// onnxruntime-node lives in tools/ort/node_modules (scripts/install-ort.sh puts it there).
async function loadOrt() {
  try {
    return (await import('onnxruntime-node')).default;
  } catch (e) {
    throw new Error(`onnxruntime-node does not load (${e.message.split('\n')[0]}): run scripts/install-ort.sh`);
  }
}

let ort;

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  ort = await loadOrt();
  if (!fs.existsSync(opt.model)) throw new Error(`'${opt.model}': no such file`);
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: opt.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  if (opt.profile) Object.assign(options, { enableProfiling: true, profileFilePrefix: opt.profile });
  let session;
  try {
    session = await ort.InferenceSession.create(opt.model, options);
  } catch (e) {
    throw new Error(`'${opt.model}': ONNX Runtime cannot load it: ${e.message.split('\n')[0]}`);
  }
  const feeds = makeFeeds(session, opt.inputs);
  const run = async () => {
    try {
      return await session.run(feeds);
    } catch (e) {
      throw new Error(`'${opt.model}': ONNX Runtime failed to run it: ${e.message.split('\n')[0]}`);
    }
  };
  let results;
  if (opt.runs > 0) {
    for (let k = 0; k < opt.warmup; ++k) results = await run();
    const times = [];
    for (let k = 0; k < opt.runs; ++k) {
      const start = process.hrtime.bigint();
      results = await run();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    console.log(JSON.stringify({
      runtime: 'onnxruntime', version: ort.env.versions.node, model: opt.model, threads: opt.threads,
      runs: opt.runs, warmup: opt.warmup, median_ms: median(times), min_ms: Math.min(...times),
      max_ms: Math.max(...times), times_ms: times,
    }));
  } else {
    results = await run();
  }
  const files = fileNames(session.outputNames);
  if (opt.out) fs.mkdirSync(opt.out, { recursive: true });
  const manifest = [];
  session.outputNames.forEach((name, k) => {
    const t = results[name];
    const shape = t.dims.map(Number);
    if (opt.out) writeNpy(path.join(opt.out, files[k]), { dtype: t.type, shape, data: t.data });
    manifest.push({ name, file: files[k], dtype: t.type, shape });
    if (opt.runs === 0) console.log(`${name} ${t.type} [${shape.join(', ')}]${summary(t)}`);
  });
  if (opt.out) {
    const tmp = path.join(opt.out, 'outputs.json.tmp');
    fs.writeFileSync(tmp, `[\n${manifest.map((m) => JSON.stringify(m)).join(',\n')}\n]\n`);
    fs.renameSync(tmp, path.join(opt.out, 'outputs.json'));
  }
  if (opt.profile) {
    session.endProfiling();
    console.error(`ort-run: profile written to ${opt.profile}_<date>.json`);
  }
  await session.release();
}

main().catch((e) => {
  if (e instanceof UsageError) {
    if (e.message) console.error(`ort-run: ${e.message}`);
    console.error(USAGE);
    process.exit(2);
  }
  console.error(`ort-run: ${e.message}`);
  process.exit(1);
});
