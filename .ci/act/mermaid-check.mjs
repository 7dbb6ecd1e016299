// Parses every ```mermaid block of the given job summaries with Mermaid itself (npm
// mermaid, the renderer GitHub uses, with jsdom standing in for the browser) and checks that
// each is a gantt chart whose tasks are exactly the task lines written, with the generated
// ids t1, t2, … and a start no later than the end. Run by .ci/act.sh.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.env.CI_NODE_MODULES;
if (!modules) throw new Error('CI_NODE_MODULES is not set (source .ci/tools.sh, ci_node_tools)');
const load = (name, file) => import(pathToFileURL(path.join(modules, name, file)).href);

const { JSDOM } = await load('jsdom', 'lib/api.js');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
const { default: mermaid } = await load('mermaid', 'dist/mermaid.core.mjs');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let blocks = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  for (const [, body] of text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)) {
    blocks += 1;
    const parsed = await mermaid.parse(body);
    if (parsed.diagramType !== 'gantt') throw new Error(`${file}: ${parsed.diagramType}, not gantt`);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(body);
    const tasks = diagram.db.getTasks();
    const lines = body.split('\n').filter((l) => / :(done|crit|active), t\d+, /.test(l));
    if (tasks.length !== lines.length || tasks.length === 0) {
      throw new Error(`${file}: ${tasks.length} tasks parsed from ${lines.length} task lines`);
    }
    tasks.forEach((t, i) => {
      if (t.id !== `t${i + 1}` || !(t.startTime <= t.endTime)) {
        throw new Error(`${file}: task ${i + 1} parsed as ${t.id} ${t.startTime}..${t.endTime}`);
      }
    });
    console.log(`mermaid ${parsed.diagramType}: ${path.basename(file)}, ${tasks.length} tasks: ok`);
  }
}
if (blocks === 0) throw new Error('no mermaid block in ' + process.argv.slice(2).join(' '));
