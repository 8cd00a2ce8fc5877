// The one way the page builds markup from data: elements made with DOM APIs, every value set as
// text or as an attribute, never parsed as HTML. Class names that come from data (a stage, a node
// kind) go through oneOf() so only names from a known set ever reach classList.

const SVG_NS = "http://www.w3.org/2000/svg";
// Element properties h() may set directly; everything else is an attribute or refused.
const PROPERTIES = new Set(["id", "title", "type", "disabled", "hidden", "value", "htmlFor",
  "tabIndex", "colSpan", "scope", "open", "checked", "name"]);
// Markup, URLs and inline handlers never come through here.
const FORBIDDEN = /^(innerHTML|outerHTML|srcdoc|href|src|action|formaction|xlink:href|style|on[a-z]+)$/i;

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.append(child);
    else parent.append(document.createTextNode(String(child)));
  }
}

function apply(element, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (FORBIDDEN.test(key)) throw new Error(`h(): ${key} is not allowed; pass text, classes and listeners`);
    if (key === "class") element.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key === "on") for (const [type, listener] of Object.entries(value)) element.addEventListener(type, listener);
    else if (key === "text") element.textContent = String(value);
    else if (PROPERTIES.has(key) && !(element instanceof SVGElement)) element[key] = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  return element;
}

/** An HTML element: h("td", {class: "x", dataset: {k: v}}, "text", otherNode, [more]). */
export function h(tag, props = {}, ...children) {
  const element = apply(document.createElement(tag), props);
  append(element, children);
  return element;
}

/** An SVG element, the same way (attributes only). */
export function svg(tag, attrs = {}, ...children) {
  const element = apply(document.createElementNS(SVG_NS, tag), attrs);
  append(element, children);
  return element;
}

/** A fragment of nodes and text. */
export function fragment(...children) {
  const result = document.createDocumentFragment();
  append(result, children);
  return result;
}

/** `value` if it is one of `allowed`, else `fallback`: for class names and lookups from data. */
export function oneOf(value, allowed, fallback = null) {
  return allowed.includes(value) ? value : fallback;
}

/** Replace the children of `element` with `children`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/**
 * After `button`'s action, which redraws the table holding it: when the focus is still on it
 * (or was dropped with it), move it to `heading` (tabindex -1), so Tab carries on from there.
 */
export function keepFocusNear(button, heading) {
  const active = document.activeElement;
  if (active === button || !active || active === document.body) heading.focus({ preventScroll: true });
}

/**
 * Run `action(event)` when `form` is submitted, once at a time: a submit while the last one is
 * still under way (a double click on Save) is dropped, so one click makes one thing. The form
 * says so with aria-busy; its buttons keep focus and stay enabled.
 */
export function onSubmitOnce(form, action) {
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    form.setAttribute("aria-busy", "true");
    try {
      await action(event);
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
  });
}
