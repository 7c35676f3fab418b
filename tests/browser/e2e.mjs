// End-to-end test of the web build in Debian's headless Chromium, driven by playwright-core.
//
// It serves dist/ (built by web/build.sh) on 127.0.0.1 as a static server would (precompressed
// files, ETags, immutable hashed files), throttles the network to 50 Mbit/s and 20 ms latency,
// and runs the app twice:
//  1. with WebGPU (SwiftShader): the page must report a WebGPU adapter, predict a known cell as
//     the native CLI does, load a dropped CSV, interpolate and map latents, train while we
//     measure frame times for a minute, and rank the whole search space;
//  2. without the WebGPU flag: the page must fall back to Burn's CPU backend, predict the same
//     cell, train for a minute and rank the whole search space.
// Each run measures a first visit and a second one from the browser's caches (time to the first
// prediction, bytes transferred, the compute worker's downloads included), and the main thread's
// long tasks while training and ranking, which must stay under 200 ms (the engine runs in a Web
// Worker). Both runs download the training run as a checkpoint zip and resume from it.
// It writes a screenshot of each panel to docs/screenshots/ and the figures to
// target/e2e/figures.json, and exits non-zero on the first failed check.
//
// Environment: VSGAE_SHARED_DIR (default ../shared beside the checkout), E2E_TRAIN_SECONDS
// (default 60), E2E_RANK (default 1; 0 skips ranking the search space), E2E_RANK_SECONDS and
// E2E_WEBGPU_RANK_SECONDS (the caps on ranking, default 900 and 120), E2E_ONLY=cpu (only the CPU-fallback run), E2E_COMPOSITING
// (default gpu: Chromium composites on SwiftShader's GL, as a browser does on a machine with a
// GPU; software: headless Chromium's default without a GPU, whose frame read-backs are recorded
// but not judged).
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dist = path.join(root, "dist");
const shared = process.env.VSGAE_SHARED_DIR || path.join(root, "..", "shared");
const screenshots = path.join(root, "docs", "screenshots");
const figuresFile = path.join(root, "target", "e2e", "figures.json");
const trainSeconds = Number(process.env.E2E_TRAIN_SECONDS || 60);
const rank = (process.env.E2E_RANK || "1") !== "0";
const gpuCompositing = (process.env.E2E_COMPOSITING || "gpu") === "gpu";

/// With GPU compositing, no main-thread task may take over 200 ms while the engine works (it runs
/// in a Web Worker; the page only draws). Software compositing's frame read-backs are recorded,
/// not judged.
function checkStalls(label, tasks) {
  if (gpuCompositing) {
    check(tasks.longest_ms <= 200, `${label}: the longest main-thread task took ${tasks.longest_ms.toFixed(0)} ms (${tasks.over_200_ms} over 200 ms)`);
  }
}
const figures = { compositing: (process.env.E2E_COMPOSITING || "gpu") === "gpu" ? "gpu (SwiftShader GL)" : "software" };

function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
  console.log(`ok: ${message}`);
}

// ---- the page's files -------------------------------------------------------------------
// Served as a static server configured for this build would: the precompressed .br (or .gz) copy
// where the browser accepts it, trunk's content-hashed files as immutable, everything else
// revalidated by ETag (a 304 when unchanged).
const types = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".json": "application/json",
};
function serve() {
  const server = http.createServer((request, response) => {
    let file = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
    if (file === "/") file = "/index.html";
    const full = path.join(dist, path.normalize(file));
    if (!full.startsWith(dist) || !fs.existsSync(full) || !fs.statSync(full).isFile()) {
      response.writeHead(full.startsWith(dist) ? 404 : 403).end();
      return;
    }
    const accepted = request.headers["accept-encoding"] || "";
    const encoding = [["br", ".br"], ["gzip", ".gz"]].find(([name, suffix]) => accepted.includes(name) && fs.existsSync(full + suffix));
    const served = encoding ? full + encoding[1] : full;
    const stat = fs.statSync(served);
    const etag = `"${stat.size}-${Math.round(stat.mtimeMs)}"`;
    const headers = {
      "Content-Type": types[path.extname(full)] || "application/octet-stream",
      "Cache-Control": /-[0-9a-f]{16}\.(js|wasm|css)$/.test(full) ? "public, max-age=31536000, immutable" : "no-cache",
      ETag: etag,
      Vary: "Accept-Encoding",
    };
    if (encoding) headers["Content-Encoding"] = encoding[0];
    if (request.headers["if-none-match"] === etag) {
      response.writeHead(304, headers).end();
      return;
    }
    headers["Content-Length"] = stat.size;
    response.writeHead(200, headers);
    fs.createReadStream(served).pipe(response);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// ---- the known cell -------------------------------------------------------------------------
const csvPath = path.join(shared, "data", "nb101_val_20k.csv");
if (!fs.existsSync(csvPath)) {
  if (process.env.CI === "true") throw new Error(`CI=true but ${csvPath} is missing`);
  console.log(`skipping: ${csvPath} is absent`);
  process.exit(0);
}
const csvLines = fs.readFileSync(csvPath, "utf8").split("\n");
function parseRow(line) {
  const [, hash, rows, ops] = line.match(/^([0-9a-f]{32}),\d+,"([01,]+)",([^,]+),/);
  return { hash, rows, ops };
}
const known = parseRow(csvLines[1]);
const other = parseRow(csvLines[2]);
const oneRow = path.join(os.tmpdir(), `vsgae-e2e-${process.pid}.csv`);
fs.writeFileSync(oneRow, `${csvLines[0]}\n${csvLines[1]}\n`);
// The page predicts with the predictor web/build.sh wrote beside it (int8 weights); the native CLI
// predicts with the same folder, and with the shipped f32 model for the stated difference.
const nativePrediction = (model) =>
  JSON.parse(
    execFileSync("cargo", ["run", "-q", "-p", "vsgae", "--features", "cli", "--", "predict", "--model", model, "--cells", oneRow, "--json"], {
      cwd: root,
      encoding: "utf8",
    }),
  )[0].predicted;
const expected = nativePrediction("dist/models/predictor");
const shipped = nativePrediction("data/predictor");
console.log(`native CLI predicts ${known.hash}: ${expected} with the web's model, ${shipped} with data/predictor`);
figures.web_model_vs_shipped = Math.abs(expected - shipped);

// ---- the browser ----------------------------------------------------------------------------
async function launch(webgpu) {
  const args = [
    "--no-sandbox",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
  if (webgpu) args.push("--enable-unsafe-webgpu");
  // A browser composites the page on the GPU wherever it has one; headless Chromium on a machine
  // without one composites in software, which reads every WebGL frame back on the page's main
  // thread (LayerTreeHost::DoUpdateLayers → GLES2::ReadPixels) and blocks it while SwiftShader
  // draws. E2E_COMPOSITING=software measures that; the default composites on SwiftShader's GL.
  if (gpuCompositing) {
    args.push("--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--enable-gpu-compositing");
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vsgae-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args,
    ignoreDefaultArgs: ["--disable-gpu"],
    viewport: { width: 1280, height: 820 },
  });
  // Every page records its main thread's long tasks (over 50 ms) from its start.
  await context.addInitScript(() => {
    window.studioLongTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.studioLongTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  });
  return context;
}

/// The page's clock (ms), to mark the start of a measured stretch.
const pageNow = (page) => page.evaluate(() => performance.now());

/// The longest main-thread task that started at or after `since` (page clock), in ms, and how
/// many tasks took over 200 ms.
async function longTasks(page, since) {
  const tasks = await page.evaluate((since) => window.studioLongTasks.filter(([start]) => start >= since), since);
  return { longest_ms: Math.max(0, ...tasks.map(([, d]) => d)), over_200_ms: tasks.filter(([, d]) => d > 200).length };
}

async function status(page) {
  // Software WebGPU can hold the main thread for tens of seconds while a training step compiles.
  const text = await page.locator("#studio_status").textContent({ timeout: 180000 });
  return text ? JSON.parse(text) : {};
}

async function waitFor(page, what, seconds, predicate) {
  const start = Date.now();
  let last = {};
  while (Date.now() - start < seconds * 1000) {
    last = await status(page);
    const failure = await page.locator("#loading_text.failed").count();
    if (failure) throw new Error(`the page failed: ${await page.locator("#loading_text").textContent()}`);
    if (predicate(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}; last status: ${JSON.stringify(last)}`);
}

async function click(page, anchor) {
  // The status catches up with a new panel within a few frames.
  const s = await waitFor(page, `the control ${anchor} on screen`, 10, (s) => s.anchors?.[anchor]);
  const rect = s.anchors[anchor];
  await page.mouse.click((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2);
  await page.waitForTimeout(300);
}

async function typeInto(page, anchor, text) {
  await click(page, anchor);
  await page.keyboard.type(text);
  await page.waitForTimeout(200);
}

async function dropFile(page, file, name) {
  const b64 = fs.readFileSync(file).toString("base64");
  const dataTransfer = await page.evaluateHandle(
    ({ b64, name }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name));
      return transfer;
    },
    { b64, name },
  );
  for (const type of ["dragenter", "dragover", "drop"]) {
    await page.dispatchEvent("#studio_canvas", type, { dataTransfer });
  }
}

function shoot(page, name) {
  fs.mkdirSync(screenshots, { recursive: true });
  return page.screenshot({ path: path.join(screenshots, `${name}.png`) });
}

/// rAF intervals over `seconds`, measured in the page.
function frameIntervals(page, seconds) {
  return page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const intervals = [];
        let last = performance.now();
        const end = last + ms;
        function frame(now) {
          intervals.push(now - last);
          last = now;
          if (now < end) requestAnimationFrame(frame);
          else resolve(intervals);
        }
        requestAnimationFrame(frame);
      }),
    seconds * 1000,
  );
}

function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { frames: sorted.length, median_ms: sorted[Math.floor(sorted.length / 2)], worst_ms: sorted[sorted.length - 1] };
}

/// Ranks the search space; where it takes longer than E2E_RANK_SECONDS (default 900; on WebGPU
/// E2E_WEBGPU_RANK_SECONDS, default 120: software WebGPU ranks a few cells a second), reports the
/// rate so far and the projected total, and cancels.
async function rankSpace(page, label) {
  const limit =
    label === "webgpu" ? Number(process.env.E2E_WEBGPU_RANK_SECONDS || 120) : Number(process.env.E2E_RANK_SECONDS || 900);
  await click(page, "Predict");
  const since = await pageNow(page);
  await click(page, "Rank");
  const started = Date.now();
  let result;
  try {
    const ranked = await waitFor(page, "the ranking of the search space", limit, (s) => s.ranking_seconds != null);
    check(ranked.ranking_cells === 423624, `${label}: ranked ${ranked.ranking_cells} cells in ${ranked.ranking_seconds.toFixed(1)} s`);
    result = {
      cells: ranked.ranking_cells,
      rescored_by_the_ensemble: ranked.ranking_rescored,
      seconds: ranked.ranking_seconds,
      complete: true,
      long_tasks: await longTasks(page, since),
    };
  } catch (error) {
    const s = await status(page);
    const seconds = (Date.now() - started) / 1000;
    const [done, total] = s.progress ?? [0, 0];
    check(done > 0, `${label}: ranking under way after ${seconds.toFixed(0)} s (${done} of ${total} cells)`);
    await click(page, "Cancel");
    const tasks = await longTasks(page, since);
    // A screened ranking's second phase counts the ensemble's cells (the best 2 %), not the space.
    const screening = total === 423624;
    const rate = done / seconds;
    result = screening
      ? { cells: done, seconds, complete: false, cells_per_second: rate, projected_seconds: 423624 / rate, long_tasks: tasks }
      : { phase: "the ensemble on the screen's best cells", done, of: total, seconds, complete: false, long_tasks: tasks };
  }
  checkStalls(`${label}: ranking`, result.long_tasks);
  return result;
}

/// The members of a zip file, listed by Python's zipfile.
function zipMembers(file) {
  const script = "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))";
  return execFileSync("python3", ["-c", script, file], { encoding: "utf8" }).trim().split("\n");
}

/// Trains a little, downloads the run as a checkpoint zip, resumes from it through the file
/// picker and waits for the resumed run's first step. `optimizer`: whether Adam's state must be
/// in the zip (the CPU backend reads it back; WebGPU in a browser cannot).
async function checkpointRoundTrip(page, label, optimizer, stepSeconds) {
  const downloading = page.waitForEvent("download", { timeout: stepSeconds * 1000 });
  await click(page, "Download checkpoint");
  const download = await downloading;
  const name = download.suggestedFilename();
  const file = path.join(os.tmpdir(), `${label}-${name}`);
  await download.saveAs(file);
  const members = zipMembers(file);
  check(
    name.startsWith("predictor-checkpoint-epoch") && members.includes("weights.safetensors") && members.includes("progress.json"),
    `${label}: downloads ${name} (${(fs.statSync(file).size / 1e6).toFixed(1)} MB: ${members.join(", ")})`,
  );
  check(members.includes("optimizer.bpk") === optimizer, `${label}: the checkpoint ${optimizer ? "has" : "leaves out"} Adam's state`);
  const choosing = page.waitForEvent("filechooser", { timeout: 30000 });
  await click(page, "Resume from zip");
  await (await choosing).setFiles(file);
  const resumed = await waitFor(page, "the resumed run's first step", stepSeconds, (s) =>
    (/Running/.test(s.training_state ?? "") && s.training_steps > 0) || /Failed/.test(s.training_state ?? ""),
  );
  check(/Running/.test(resumed.training_state) && resumed.training_steps > 0, `${label}: the run resumes from ${name} and steps on (${resumed.training_state})`);
  await click(page, "Stop");
  fs.rmSync(file, { force: true });
}

/// Checks the page's prediction of the known cell against the native CLI's; the difference.
/// docs/web.md promises the native CLI's prediction (with the same model folder) within 1e-6 on
/// both backends: WebGPU's kernels and the wasm build of Burn's CPU kernels (no AVX) sum in other
/// orders than the native CPU build, so the f32 results differ in the last bits.
function checkNativeBound(label, predicted) {
  const difference = Math.abs(predicted - expected);
  const bound = 1e-6;
  check(difference <= bound, `${label} predicts ${predicted} (native ${expected}, |Δ| ${difference.toExponential(2)} ≤ ${bound})`);
  return difference;
}

/// The known cell predicted by the GPU, through the predict panel: the address's cell may have
/// been answered on the CPU (the engine predicts there while the browser looks for its GPU).
async function predictOnTheGpu(page) {
  await click(page, "Predict");
  await click(page, "cells_text");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(`${known.rows};${known.ops}`);
  await page.waitForTimeout(200);
  await click(page, "Predict these cells");
  const s = await waitFor(page, "the pasted cell's prediction", 300, (s) => s.pasted_predicted?.length > 0);
  check(s.pasted_predicted.length === 1, `webgpu: the predict panel predicts ${s.pasted_predicted.length} pasted cell`);
  check(s.pasted_predicted_on.startsWith("WebGPU"), `webgpu: the predict panel's prediction ran on ${s.pasted_predicted_on}`);
  return checkNativeBound("webgpu: the GPU", s.pasted_predicted[0]);
}

async function webgpuRun() {
  const gpu = await launch(true);
  const { page, ready, predicted, visits } = await openApp(gpu, "webgpu");
  check(ready.backend.startsWith("WebGPU"), `webgpu: runs on ${ready.backend}`);
  figures.webgpu = {
    backend: ready.backend,
    first_prediction_ms: predicted.first_prediction_ms,
    difference_from_native: predicted.difference_from_native,
    visits,
  };
  await shoot(page, "cell");
  figures.webgpu.gpu_difference_from_native = await predictOnTheGpu(page);

  await dropFile(page, csvPath, "nb101_val_20k.csv");
  const loaded = await waitFor(page, "the dropped CSV", 120, (s) => s.dataset_cells === 20001 || s.load_error);
  check(loaded.dataset_cells === 20001, `webgpu: a dropped CSV loads (${loaded.dataset_cells} cells)`);
  await page.waitForTimeout(500);
  await shoot(page, "data");

  await click(page, "Latent");
  await typeInto(page, "from_hash", known.hash);
  await typeInto(page, "to_hash", other.hash);
  await click(page, "Interpolate");
  const strip = await waitFor(page, "the interpolation", 120, (s) => s.strip > 0);
  check(strip.strip === 8, `webgpu: interpolation decodes ${strip.strip} points`);
  // Software WebGPU is slow: map 500 cells (type into the count, then press Map).
  await click(page, "map_cells");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("500");
  await page.keyboard.press("Enter");
  await page.waitForTimeout(300);
  await click(page, "Map");
  const map = await waitFor(page, "the latent map", 600, (s) => s.map_points > 0);
  check(map.map_points === 500, `webgpu: the latent map draws ${map.map_points} cells`);
  const [width, height] = map.map_extent ?? [0, 0];
  check(width > 0 && height > 0, `webgpu: the latent map's points span ${width.toFixed(3)} × ${height.toFixed(3)}`);
  await page.waitForTimeout(500);
  await shoot(page, "latent");

  // Search the 20,001 cells: regularised evolution, 60 queries.
  await click(page, "Search");
  await click(page, "evolution");
  await click(page, "search_budget");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("60");
  await page.keyboard.press("Enter");
  await page.waitForTimeout(300);
  await click(page, "Start search");
  const searched = await waitFor(page, "the search", 180, (s) => s.search_state?.startsWith("Finished"));
  check(searched.search_queries === 60, `webgpu: the search queried ${searched.search_queries} cells`);
  check(searched.search_best > 0.9, `webgpu: the search found a cell of ${searched.search_best}`);
  await page.waitForTimeout(500);
  await shoot(page, "search");

  await click(page, "Train");
  const trainingSince = await pageNow(page);
  await click(page, "Start");
  await waitFor(page, "training steps", 120, (s) => s.training_steps > 0);
  const intervals = await frameIntervals(page, trainSeconds);
  const trained = await status(page);
  figures.webgpu.training = {
    seconds: trainSeconds,
    steps: trained.training_steps,
    long_tasks: await longTasks(page, trainingSince),
    raf_intervals: spread(intervals),
    app_frame_intervals: trained.frame_intervals,
    app_ui_times: trained.ui_times,
  };
  check(trained.training_steps > 0, `webgpu: ${trained.training_steps} training steps while the page kept drawing`);
  checkStalls("webgpu: training", figures.webgpu.training.long_tasks);
  await shoot(page, "train");
  await click(page, "Stop");
  await checkpointRoundTrip(page, "webgpu", false, 300);

  if (rank) {
    figures.webgpu.ranking = await rankSpace(page, "webgpu");
    await shoot(page, "predict");
  }
  await gpu.close();
}

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}/?cell=${encodeURIComponent(`${known.rows};${known.ops}`)}`;

// The issue's network: 50 Mbit/s down and up, 20 ms latency (DevTools protocol).
const network = { offline: false, latency: 20, downloadThroughput: 50e6 / 8, uploadThroughput: 50e6 / 8 };

/// The page's workers (the compute worker downloads the models) get the same network: each is
/// held at its start until it is throttled, and the bytes it receives are counted too.
async function throttleWorkers(cdp, count) {
  let id = 0;
  const sendTo = (sessionId, method, params = {}) =>
    cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id: ++id, method, params }) });
  cdp.on("Target.attachedToTarget", async ({ sessionId, targetInfo }) => {
    if (targetInfo.type === "worker") {
      await sendTo(sessionId, "Network.enable");
      await sendTo(sessionId, "Network.emulateNetworkConditions", network);
    }
    await sendTo(sessionId, "Runtime.runIfWaitingForDebugger");
  });
  cdp.on("Target.receivedMessageFromTarget", ({ message }) => {
    const { method, params } = JSON.parse(message);
    if (method === "Network.loadingFinished") count(params.encodedDataLength);
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });
}

/// Opens the app in a new page of `context` over the throttled network, waits for the address's
/// cell to be predicted and checks the prediction; counts the bytes that came over the network.
async function visit(context, label) {
  const page = await context.newPage();
  page.on("console", (message) => console.log(`[${label} console ${message.type()}] ${message.text()}`));
  page.on("pageerror", (error) => console.log(`[${label} page error] ${error}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", network);
  let transferred = 0;
  cdp.on("Network.loadingFinished", (event) => (transferred += event.encodedDataLength));
  await throttleWorkers(cdp, (bytes) => (transferred += bytes));
  await page.goto(base);
  const ready = await waitFor(page, "the engine", 180, (s) => s.backend && (s.models || s.model_error));
  check(!ready.model_error, `${label}: the shipped predictor loads (${ready.model_error ?? ready.models})`);
  const predicted = await waitFor(page, "the known cell's prediction", 180, (s) => s.cell_predicted != null);
  check(predicted.cell_hash === known.hash, `${label}: the address opens cell ${known.hash}`);
  predicted.difference_from_native = checkNativeBound(`${label}:`, predicted.cell_predicted);
  // The page's own time from navigation to its first prediction, from the app's probe.
  check(
    Number.isFinite(predicted.first_prediction_ms) && predicted.first_prediction_ms > 0,
    `${label}: the page reports its first prediction's time (${predicted.first_prediction_ms} ms on ${predicted.first_prediction_on})`,
  );
  return { page, ready, predicted, transferred: () => transferred };
}

/// A first visit, then a second one in the same browser profile (its HTTP cache and Cache API
/// kept), which must download no model again; the first visit's page stays open for the rest.
async function openApp(context, label) {
  const first = await visit(context, label);
  const firstBytes = first.transferred();
  const second = await visit(context, `${label} second visit`);
  const secondBytes = second.transferred();
  await second.page.close();
  check(secondBytes < 1e6, `${label}: a second visit downloads ${(secondBytes / 1e3).toFixed(1)} kB (models from the browser's cache)`);
  const visits = {
    network: "50 Mbit/s, 20 ms latency",
    first_visit: {
      first_prediction_ms: first.predicted.first_prediction_ms,
      first_prediction_on: first.predicted.first_prediction_on,
      transferred_bytes: firstBytes,
    },
    second_visit: {
      first_prediction_ms: second.predicted.first_prediction_ms,
      first_prediction_on: second.predicted.first_prediction_on,
      transferred_bytes: secondBytes,
    },
  };
  console.log(`${label}: ${JSON.stringify(visits)}`);
  return { page: first.page, ready: first.ready, predicted: first.predicted, visits };
}

try {
  // ---- 1. WebGPU ---- (E2E_ONLY=cpu skips it)
  if (process.env.E2E_ONLY !== "cpu") await webgpuRun();

  // ---- 2. CPU fallback ----
  const cpu = await launch(false);
  const fallback = await openApp(cpu, "cpu");
  check(fallback.ready.backend === "CPU (Burn flex)", `cpu: falls back to ${fallback.ready.backend}`);
  figures.cpu = {
    backend: fallback.ready.backend,
    first_prediction_ms: fallback.predicted.first_prediction_ms,
    difference_from_native: fallback.predicted.difference_from_native,
    visits: fallback.visits,
  };
  await dropFile(fallback.page, csvPath, "nb101_val_20k.csv");
  await waitFor(fallback.page, "the dropped CSV", 120, (s) => s.dataset_cells === 20001);
  await click(fallback.page, "Train");
  const trainingSince = await pageNow(fallback.page);
  await click(fallback.page, "Start");
  await waitFor(fallback.page, "training steps", 120, (s) => s.training_steps >= 3);
  const cpuIntervals = await frameIntervals(fallback.page, trainSeconds);
  const cpuTrained = await status(fallback.page);
  figures.cpu.training = {
    seconds: trainSeconds,
    steps: cpuTrained.training_steps,
    long_tasks: await longTasks(fallback.page, trainingSince),
    raf_intervals: spread(cpuIntervals),
  };
  checkStalls("cpu: training", figures.cpu.training.long_tasks);
  await click(fallback.page, "Stop");
  await checkpointRoundTrip(fallback.page, "cpu", true, 120);
  if (rank) {
    figures.cpu.ranking = await rankSpace(fallback.page, "cpu");
  }
  await cpu.close();
} finally {
  server.close();
  fs.rmSync(oneRow, { force: true });
  fs.mkdirSync(path.dirname(figuresFile), { recursive: true });
  fs.writeFileSync(figuresFile, JSON.stringify(figures, null, 2));
  console.log(JSON.stringify(figures, null, 2));
}
