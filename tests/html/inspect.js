// Opens a report.html in headless Chromium (Debian's, driven by playwright-core), uses it as a
// reader would, and prints what it saw as one JSON object for tests/cli/html.rs to judge.
//
//   node tests/html/inspect.js '{"html": "...", "screenshot": "top.png", "filter": "text",
//                                "table_screenshot": "filtered.png",
//                                "sort": ["user_name", "days_since_last_used"]}'
//
// The screenshot is of the top of the page as loaded; table_screenshot, if given, of the
// assignment table filtered by "filter"; review_screenshot and provenance_screenshot, if given,
// of the review queue and of the provenance box.
//
// Every request the page makes is recorded, as are CSP violations, dialogs (alert), console
// errors and script errors. Exits non-zero, with the reason on stderr, when the browser cannot
// be driven; judging what it saw is the Rust test's job.

"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { pathToFileURL } = require("url");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// Without the networking switches Chromium reaches out on its own (updates, sync, probes).
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];

async function main() {
  const options = JSON.parse(process.argv[2]);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "idc-report-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 900 },
    offline: true,
  });
  try {
    return await inspect(context, options);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function inspect(context, options) {
  const seen = { requests: [], dialogs: [], console_errors: [], page_errors: [] };
  context.on("request", (request) => seen.requests.push(request.url()));
  const page = await context.newPage();
  page.on("dialog", (dialog) => {
    seen.dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on("console", (message) => {
    if (message.type() === "error") seen.console_errors.push(message.text());
  });
  page.on("pageerror", (error) => seen.page_errors.push(String(error)));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });

  const url = pathToFileURL(path.resolve(options.html)).href;
  await page.goto(url, { waitUntil: "load" });
  // Let anything a hostile cell could have set off (onerror, onload) happen.
  await page.waitForTimeout(200);

  const result = { url, ...(await staticView(page)) };
  await page.screenshot({ path: options.screenshot });
  result.filter = await filtered(page, options.filter, options.table_screenshot);
  result.usage_filter = await usageFiltered(page);
  result.sort = {};
  for (const column of options.sort || []) result.sort[column] = await sorted(page, column);
  result.review = await review(page, options.review_screenshot, options.provenance_screenshot);
  result.elements = await elements(page);
  result.csp_violations = await page.evaluate(() => window.__cspViolations);
  return { ...result, ...seen };
}

// The review queue's sections in page order (id, heading, intro, cells) and the provenance
// box's text; with screenshots of the queue (first to last section) and of the provenance box.
async function review(page, queueScreenshot, provenanceScreenshot) {
  const seen = await page.evaluate(() => {
    const sections = Array.from(document.querySelectorAll("body > section"), (s) => s.id);
    const queue = Array.from(document.querySelectorAll("section.queue"), (s) => ({
      id: s.id,
      title: s.querySelector("h2").textContent,
      intro: s.querySelector("p").textContent,
      rows: Array.from(s.querySelectorAll("tbody tr"), (r) => Array.from(r.cells, (c) => c.textContent)),
    }));
    const provenance = document.getElementById("provenance");
    const header = document.querySelector("#assignment-table thead th");
    return {
      sections,
      queue,
      provenance: provenance ? provenance.textContent : null,
      header_position: header ? getComputedStyle(header).position : null,
    };
  });
  if (queueScreenshot && seen.queue.length > 0) {
    // In page coordinates: earlier steps may have scrolled.
    const { top, bottom } = await page.evaluate(() => {
      const queue = document.querySelectorAll("section.queue");
      const box = (el) => el.getBoundingClientRect();
      return {
        top: box(queue[0]).top + window.scrollY,
        bottom: box(queue[queue.length - 1]).bottom + window.scrollY,
      };
    });
    await page.screenshot({
      path: queueScreenshot,
      fullPage: true,
      clip: { x: 0, y: Math.max(0, top - 8), width: 1400, height: bottom - top + 16 },
    });
  }
  if (provenanceScreenshot) await page.locator("#provenance").screenshot({ path: provenanceScreenshot });
  return seen;
}

// What a reader sees before touching anything.
function staticView(page) {
  return page.evaluate(() => {
    const text = (el) => (el ? el.textContent.trim() : null);
    const figures = {};
    for (const el of document.querySelectorAll("[data-figure]")) {
      figures[el.getAttribute("data-figure")] = text(el);
    }
    const cells = (row) => Array.from(row.cells, (c) => c.textContent);
    return {
      title: document.title,
      figures,
      window: text(document.getElementById("window")),
      evidence: text(document.getElementById("evidence")),
      directory: text(document.getElementById("directory")),
      generated: text(document.getElementById("generated")),
      warnings_heading: text(document.querySelector("#warnings h2")),
      warnings: Array.from(document.querySelectorAll("#warnings li"), (li) => ({
        code: li.getAttribute("data-code"),
        text: li.textContent,
        message: text(li.querySelector(".message")),
      })),
      headers: Array.from(
        document.querySelectorAll("#assignment-table thead th"),
        (th) => th.textContent,
      ),
      rows: Array.from(document.querySelectorAll("#assignment-table tbody tr"), cells),
      row_count: text(document.getElementById("row-count")),
      idle_users: Array.from(document.querySelectorAll("#idle-user-table tbody tr"), cells),
      idle_user_headers: Array.from(
        document.querySelectorAll("#idle-user-table thead th"),
        (th) => th.textContent,
      ),
      charts: Object.fromEntries(
        Array.from(document.querySelectorAll("#charts figure"), (figure) => [
          figure.id,
          {
            caption: text(figure.querySelector("figcaption")),
            labels: Array.from(figure.querySelectorAll("text.label"), text),
            bars: Array.from(figure.querySelectorAll("title"), text),
          },
        ]),
      ),
    };
  });
}

function tableRows(page) {
  return page.$$eval("#assignment-table tbody tr", (rows) =>
    rows.map((row) => Array.from(row.cells, (c) => c.textContent)),
  );
}

async function filtered(page, needle, screenshot) {
  await page.fill("#filter", needle);
  const rows = await tableRows(page);
  if (screenshot) await page.locator("#assignments").screenshot({ path: screenshot });
  const rowCount = await page.textContent("#row-count");
  await page.fill("#filter", "");
  const restored = (await tableRows(page)).length;
  return { needle, rows, row_count: rowCount, restored };
}

async function usageFiltered(page) {
  await page.selectOption("#usage-filter", "UNUSED");
  const rows = await tableRows(page);
  await page.selectOption("#usage-filter", "");
  return { value: "UNUSED", rows: rows.length, restored: (await tableRows(page)).length };
}

// Clicks the column's header twice: the column's cells after each click, and its aria-sort.
async function sorted(page, column) {
  const header = page.locator("#assignment-table thead th", { hasText: new RegExp(`^${column}$`) });
  const index = await header.evaluate((th) => th.cellIndex);
  const read = async () => ({
    aria_sort: await header.getAttribute("aria-sort"),
    values: await page.$$eval(
      "#assignment-table tbody tr",
      (rows, i) => rows.map((row) => row.cells[i].textContent),
      index,
    ),
  });
  await header.click();
  const first = await read();
  await header.click();
  const second = await read();
  return { first, second };
}

// Elements and attributes that markup injected through a cell would have made.
function elements(page) {
  return page.evaluate(() => {
    const count = (selector) => document.querySelectorAll(selector).length;
    const handlers = [];
    for (const el of document.querySelectorAll("*")) {
      for (const attr of el.attributes) {
        if (/^on/i.test(attr.name)) handlers.push(`${el.tagName} ${attr.name}`);
        if (/^(src|href|srcset|action|formaction|xlink:href|background)$/i.test(attr.name)) {
          handlers.push(`${el.tagName} ${attr.name}=${attr.value}`);
        }
      }
    }
    return {
      script: count("script"),
      img: count("img"),
      svg: count("svg"),
      chart_svg: count("svg.chart"),
      b: count("b"),
      iframe: count("iframe, object, embed, frame"),
      link: count("link"),
      style: count("style"),
      loading_attributes: handlers,
    };
  });
}

const timer = setTimeout(() => {
  console.error("inspect.js: gave up after 90 s");
  process.exit(3);
}, 90_000);

main()
  .then((result) => {
    clearTimeout(timer);
    process.stdout.write(JSON.stringify(result));
  })
  .catch((error) => {
    console.error(`inspect.js: ${error && error.stack ? error.stack : error}`);
    process.exit(2);
  });
