// Building the page: every string becomes a text node (never markup), attributes are set one by
// one (never a style or an event-handler attribute), and links only go to the app's own routes.
// The one place markup is assigned is highlight.ts, whose input is escaped by highlight.js.

export type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (ev: Event) => void;
export interface Props {
  class?: string;
  href?: string;
  title?: string;
  id?: string;
  value?: string;
  type?: string;
  placeholder?: string;
  selected?: boolean;
  open?: boolean;
  data?: Record<string, string | number>;
  on?: Record<string, Handler>;
  attrs?: Record<string, string>;
}

const SAFE_ATTRS = new Set([
  "name",
  "min",
  "max",
  "step",
  "for",
  "colspan",
  "aria-label",
  "role",
  "size",
  "lang",
]);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.class) el.className = props.class;
    if (props.id) el.id = props.id;
    if (props.title !== undefined) el.title = props.title;
    if (props.href !== undefined) {
      // Only the app's hash routes: a stored string can never become a javascript: link.
      if (!props.href.startsWith("#")) throw new Error(`refusing link ${props.href}`);
      el.setAttribute("href", props.href);
    }
    if (props.type !== undefined) el.setAttribute("type", props.type);
    if (props.placeholder !== undefined) el.setAttribute("placeholder", props.placeholder);
    if (props.value !== undefined) (el as HTMLInputElement).value = props.value;
    if (props.selected) (el as HTMLOptionElement).selected = true;
    if (props.open) (el as HTMLDetailsElement).open = true;
    for (const [k, v] of Object.entries(props.data ?? {})) el.dataset[k] = String(v);
    for (const [k, v] of Object.entries(props.attrs ?? {})) {
      if (!SAFE_ATTRS.has(k)) throw new Error(`refusing attribute ${k}`);
      el.setAttribute(k, v);
    }
    for (const [k, f] of Object.entries(props.on ?? {})) el.addEventListener(k, f);
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A <select> over `values` ("" = any), calling `change` with the chosen value. */
export function select(
  label: string,
  values: readonly (string | [string, string])[],
  current: string,
  change: (v: string) => void,
  name: string,
): HTMLLabelElement {
  const s = h(
    "select",
    { attrs: { name }, on: { change: (e) => change((e.target as HTMLSelectElement).value) } },
    h("option", { value: "", selected: current === "" }, "any"),
    values.map((v) => {
      const [val, text] = Array.isArray(v) ? v : [v, v];
      return h("option", { value: val, selected: current === val }, text);
    }),
  );
  return h("label", null, `${label} `, s);
}

/** A text input that calls `change` once typing pauses. */
export function textInput(
  label: string,
  current: string,
  change: (v: string) => void,
  name: string,
  placeholder = "",
  type = "search",
): HTMLLabelElement {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const input = h("input", {
    type,
    value: current,
    placeholder,
    attrs: { name },
    on: {
      input: (e) => {
        clearTimeout(timer);
        const v = (e.target as HTMLInputElement).value;
        timer = setTimeout(() => change(v), 300);
      },
      keydown: (e) => {
        if ((e as KeyboardEvent).key === "Enter") {
          clearTimeout(timer);
          change((e.target as HTMLInputElement).value);
        }
      },
    },
  });
  return h("label", null, `${label} `, input);
}
