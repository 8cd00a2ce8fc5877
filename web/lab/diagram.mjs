// The machine as an SVG diagram: nodes in layers by distance from the start, edges as curves,
// the current node highlighted and task nodes coloured by stage. Built with DOM APIs: names,
// titles and labels are text; the kind and stage classes come from known sets only.

import { h, oneOf, svg } from "../dom.mjs";
import { STAGES } from "./format.mjs";

const KINDS = ["task", "state", "input", "context", "output", "note"];

const NODE_W = 132;
const NODE_H = 40;
const GAP_X = 64;
const GAP_Y = 18;

function layers(graph) {
  const names = graph.nodes.map((n) => n.name);
  const out = new Map(names.map((n) => [n, []]));
  for (const e of graph.edges) if (out.has(e.source) && out.has(e.target)) out.get(e.source).push(e.target);
  const start = graph.nodes.find((n) => n.kind === "input")?.name ?? names[0];
  const depth = new Map();
  const queue = start ? [start] : [];
  if (start) depth.set(start, 0);
  while (queue.length) {
    const name = queue.shift();
    for (const next of out.get(name)) {
      if (!depth.has(next)) { depth.set(next, depth.get(name) + 1); queue.push(next); }
    }
  }
  let spare = Math.max(0, ...depth.values()) + 1;
  for (const name of names) if (!depth.has(name)) depth.set(name, spare++);
  const columns = [];
  for (const name of names) {
    const d = depth.get(name);
    (columns[d] ||= []).push(name);
  }
  return { columns: columns.filter(Boolean), depth };
}

/** What of a node follows the run: its classes (kind, stage, current), tooltip and second line. */
function nodeLook(node, current, stages) {
  const name = node.name;
  const kind = oneOf(node.kind, KINDS, "other");
  const stage = kind === "task" ? oneOf(stages[name], STAGES) : null;
  return {
    classes: ["node", `kind-${kind}`, stage && `stage-${stage}`, name === current && "current"].filter(Boolean).join(" "),
    tip: `${node.type} ${name}${stage ? ` (${stage})` : ""}${name === current ? " — current" : ""}`,
    type: String(stage || node.type),
  };
}

/** The diagram of `graph` as an element (an <svg>, or a note when there is no machine). */
export function renderDiagram(graph, { current = null, stages = {} } = {}) {
  if (!graph || !graph.nodes.length) return h("p", { class: "muted" }, "No machine loaded.");
  const { columns } = layers(graph);
  const tallest = Math.max(...columns.map((c) => c.length));
  const width = columns.length * NODE_W + (columns.length - 1) * GAP_X + 24;
  const height = tallest * NODE_H + (tallest - 1) * GAP_Y + 56;
  const pos = new Map();
  columns.forEach((column, ci) => {
    const colHeight = column.length * NODE_H + (column.length - 1) * GAP_Y;
    column.forEach((name, ri) => {
      pos.set(name, { x: 12 + ci * (NODE_W + GAP_X), y: 28 + (height - 56 - colHeight) / 2 + ri * (NODE_H + GAP_Y) });
    });
  });
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const edges = [];
  for (const e of graph.edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    if (!a || !b) continue;
    let d;
    let lx;
    let ly;
    if (b.x > a.x) {
      const x1 = a.x + NODE_W; const y1 = a.y + NODE_H / 2; const x2 = b.x; const y2 = b.y + NODE_H / 2;
      const mx = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 2},${y2}`;
      lx = mx; ly = (y1 + y2) / 2 - 4;
    } else {
      // back edge: arc under the diagram
      const x1 = a.x + NODE_W / 2; const y1 = a.y + NODE_H; const x2 = b.x + NODE_W / 2; const y2 = b.y + NODE_H;
      const dip = height - 8;
      d = `M${x1},${y1} C${x1},${dip} ${x2},${dip} ${x2},${y2 + 2}`;
      lx = (x1 + x2) / 2; ly = dip - 4;
    }
    edges.push(svg("path", { class: "edge", d, "marker-end": "url(#arrow)" }));
    if (e.label && b.x > a.x) {
      edges.push(svg("text", { class: "edge-label", x: lx, y: ly, "text-anchor": "middle" }, String(e.label)));
    }
  }
  const nodes = [];
  for (const [name, p] of pos) {
    const node = byName.get(name);
    const look = nodeLook(node, current, stages);
    const raw = String(node.title && node.title.length <= 16 ? node.title : name);
    const label = raw.length > 17 ? `${raw.slice(0, 16)}…` : raw;
    nodes.push(svg("g", { class: look.classes, "data-node": name },
      svg("title", {}, look.tip),
      svg("rect", { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 8 }),
      svg("text", { x: p.x + NODE_W / 2, y: p.y + 17, "text-anchor": "middle", class: "node-name" }, label),
      svg("text", { x: p.x + NODE_W / 2, y: p.y + 31, "text-anchor": "middle", class: "node-type" }, look.type)));
  }
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }));
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, "aria-hidden": "true" },
    svg("defs", {}, marker), edges, nodes);
}

/**
 * The diagram shown in `root`: drawn again only when the machine's graph changes; as a run moves
 * (the current node, the stages) the nodes drawn are updated in place, only where they differ.
 */
export class Diagram {
  constructor(root) {
    this.root = root;
    this.key = null;
  }

  show(graph, { current = null, stages = {} } = {}) {
    const key = JSON.stringify(graph ?? null);
    if (key !== this.key) {
      this.key = key;
      this.root.replaceChildren(renderDiagram(graph, { current, stages }));
      return;
    }
    if (!graph) return;
    for (const node of graph.nodes) {
      const g = this.root.querySelector(`g[data-node="${CSS.escape(String(node.name))}"]`);
      if (!g) continue;
      const look = nodeLook(node, current, stages);
      if (g.getAttribute("class") !== look.classes) g.setAttribute("class", look.classes);
      const [title, type] = [g.querySelector("title"), g.querySelector(".node-type")];
      if (title.textContent !== look.tip) title.textContent = look.tip;
      if (type.textContent !== look.type) type.textContent = look.type;
    }
  }
}
