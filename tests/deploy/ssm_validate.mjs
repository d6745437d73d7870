// Validates SSM documents with npm's aws-ssm-document-language-service, the language server
// behind AWS's editor support: it is started over stdio and asked for its diagnostics with its
// own "ssm/validate" request.
//
//   node tests/deploy/ssm_validate.mjs FILE.yaml   -> prints a JSON list of diagnostics
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const file = process.argv[2];
if (!file) {
  console.error("usage: node ssm_validate.mjs FILE.yaml");
  process.exit(2);
}
let server;
try {
  server = createRequire(import.meta.url).resolve("aws-ssm-document-language-service");
} catch {
  console.error("aws-ssm-document-language-service is missing: run `npm ci --legacy-peer-deps` at the repository root (or `make test-deploy`)");
  process.exit(2);
}

const child = spawn(process.execPath, [server, "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
const timer = setTimeout(() => {
  console.error("the language server did not answer within 30 s");
  child.kill();
  process.exit(3);
}, 30000);

let buffer = Buffer.alloc(0);
const waiting = new Map();
let nextId = 1;

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }));
  child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  child.stdin.write(body);
}

function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((resolve) => waiting.set(id, resolve));
}

child.stdout.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
    if (buffer.length < end + 4 + length) return;
    const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString());
    buffer = buffer.subarray(end + 4 + length);
    if (message.id !== undefined && waiting.has(message.id)) {
      waiting.get(message.id)(message);
      waiting.delete(message.id);
    }
  }
});

await request("initialize", { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: {} });
send({ method: "initialized", params: {} });
const uri = pathToFileURL(file).href;
send({ method: "textDocument/didOpen", params: { textDocument: { uri, languageId: "ssm-yaml", version: 1, text: readFileSync(file, "utf8") } } });
const answer = await request("ssm/validate", uri);
clearTimeout(timer);
child.kill();
if (answer.error) {
  console.error(JSON.stringify(answer.error));
  process.exit(3);
}
console.log(JSON.stringify(answer.result));
