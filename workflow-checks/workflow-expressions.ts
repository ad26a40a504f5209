/**
 * Enough of GitHub Actions' expression language to ask of a step's `if:` whether it can run in a
 * given situation (a pull request from a fork, one opened by Dependabot, a matrix environment),
 * for the workflow rules. https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
 *
 * - Literals: null, true, false, numbers, 'strings' ('' escapes a quote). Operators: ( ) ! < <= > >=
 *   == != && ||, property access with `.` and `[...]`. `&&` and `||` return an operand, as GitHub's do.
 * - `==` and `!=` compare strings case-insensitively and coerce other types to numbers, like GitHub.
 * - Falsy: false, 0, '', null.
 * - An `if:` without a status function (success(), failure(), cancelled(), always()) means
 *   `success() && (...)`.
 *
 * `mayRun` answers "is there any value of the terms not given for which the condition is true":
 * every context reference and function call whose value is not given is tried with true, false,
 * '' and every string literal of the expression (always() is true). So a condition is judged
 * never to run only when it is false whatever the rest of the run looks like.
 */

export type ExprValue = null | boolean | number | string;

type Node =
  | { readonly kind: 'literal'; readonly value: ExprValue }
  | { readonly kind: 'ref'; readonly path: string }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Node[]; readonly text: string }
  | { readonly kind: 'not'; readonly operand: Node }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Node; readonly right: Node };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|('(?:[^']|'')*')|(&&|\|\||==|!=|<=|>=|[()!<>,[\].])|([A-Za-z_][A-Za-z0-9_-]*))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (text.slice(at).trim() === '') break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`cannot read the expression at "${text.slice(at)}"`);
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

/** Parses an expression, with or without its `${{ }}`. */
export function parseExpression(source: string): Node {
  const text = source.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (expected?: string): string => {
    const t = tokens[i++];
    if (t === undefined || (expected !== undefined && t !== expected)) throw new Error(`expected ${expected ?? 'more'} in "${text}"`);
    return t;
  };
  const binary = (ops: readonly string[], next: () => Node) => (): Node => {
    let left = next();
    while (ops.includes(peek() ?? '')) {
      const op = take();
      left = { kind: 'binary', op, left, right: next() };
    }
    return left;
  };
  const primary = (): Node => {
    const t = take();
    if (t === '(') {
      const inner = or();
      take(')');
      return postfix(inner);
    }
    if (t === '!') return { kind: 'not', operand: primary() };
    if (/^\d/.test(t)) return { kind: 'literal', value: Number(t) };
    if (t.startsWith("'")) return { kind: 'literal', value: t.slice(1, -1).replace(/''/g, "'") };
    if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
    if (t === 'null') return { kind: 'literal', value: null };
    if (!/^[A-Za-z_]/.test(t)) throw new Error(`unexpected "${t}" in "${text}"`);
    if (peek() === '(') {
      take('(');
      const args: Node[] = [];
      while (peek() !== ')') {
        args.push(or());
        if (peek() === ',') take(',');
      }
      take(')');
      return { kind: 'call', name: t.toLowerCase(), args, text: `${t}(${args.map(show).join(', ')})` };
    }
    return postfix({ kind: 'ref', path: t });
  };
  const postfix = (node: Node): Node => {
    let out = node;
    for (;;) {
      if (peek() === '.') {
        take('.');
        const name = take();
        out = { kind: 'ref', path: `${pathOf(out)}.${name}` };
      } else if (peek() === '[') {
        take('[');
        const index = or();
        take(']');
        out = { kind: 'ref', path: `${pathOf(out)}[${show(index)}]` };
      } else return out;
    }
  };
  const compare = binary(['<', '<=', '>', '>='], primary);
  const equality = binary(['==', '!='], compare);
  const and = binary(['&&'], equality);
  const or = binary(['||'], and);
  const node = or();
  if (i !== tokens.length) throw new Error(`unexpected "${tokens[i]}" in "${text}"`);
  return node;
}

function pathOf(node: Node): string {
  if (node.kind === 'ref') return node.path;
  return show(node);
}

function show(node: Node): string {
  switch (node.kind) {
    case 'literal':
      return typeof node.value === 'string' ? `'${node.value}'` : String(node.value);
    case 'ref':
      return node.path;
    case 'call':
      return node.text;
    case 'not':
      return `!${show(node.operand)}`;
    case 'binary':
      return `(${show(node.left)} ${node.op} ${show(node.right)})`;
  }
}

export function truthy(v: ExprValue): boolean {
  return !(v === false || v === null || v === 0 || v === '' || (typeof v === 'number' && Number.isNaN(v)));
}

function toNumber(v: ExprValue): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return v.trim() === '' ? 0 : Number(v);
}

function looseEquals(a: ExprValue, b: ExprValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (a === null && b === null) return true;
  return toNumber(a) === toNumber(b);
}

function evaluate(node: Node, value: (key: string) => ExprValue): ExprValue {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'ref':
      return value(node.path);
    case 'call':
      if (node.name === 'always') return true;
      return value(node.text);
    case 'not':
      return !truthy(evaluate(node.operand, value));
    case 'binary': {
      const left = evaluate(node.left, value);
      if (node.op === '&&') return truthy(left) ? evaluate(node.right, value) : left;
      if (node.op === '||') return truthy(left) ? left : evaluate(node.right, value);
      const right = evaluate(node.right, value);
      if (node.op === '==') return looseEquals(left, right);
      if (node.op === '!=') return !looseEquals(left, right);
      const [l, r] = [toNumber(left), toNumber(right)];
      return node.op === '<' ? l < r : node.op === '<=' ? l <= r : node.op === '>' ? l > r : l >= r;
    }
  }
}

/** The terms whose value the evaluation asks for (context references and function calls). */
function terms(node: Node, out: Set<string>): Set<string> {
  if (node.kind === 'ref') out.add(node.path);
  if (node.kind === 'call' && node.name !== 'always') out.add(node.text);
  if (node.kind === 'not') terms(node.operand, out);
  if (node.kind === 'binary') {
    terms(node.left, out);
    terms(node.right, out);
  }
  return out;
}

function literals(node: Node, out: Set<ExprValue>): Set<ExprValue> {
  if (node.kind === 'literal') out.add(node.value);
  if (node.kind === 'call') for (const a of node.args) literals(a, out);
  if (node.kind === 'not') literals(node.operand, out);
  if (node.kind === 'binary') {
    literals(node.left, out);
    literals(node.right, out);
  }
  return out;
}

const STATUS = /\b(success|failure|cancelled|always)\s*\(/i;

/** Every value the expression can take when the given terms have the given values and the others any value. */
function possibleValues(node: Node, known: Readonly<Record<string, ExprValue>>, stopAt?: (v: ExprValue) => boolean): ExprValue[] {
  const free = [...terms(node, new Set())].filter((t) => !(t in known));
  const candidates: ExprValue[] = [true, false, '', ...[...literals(node, new Set())].filter((v) => typeof v === 'string' && v !== '')];
  if (candidates.length ** free.length > 100_000) throw new Error(`too many unknown terms in "${show(node)}": ${free.join(', ')}`);
  const assignment = new Map<string, ExprValue>();
  const value = (key: string): ExprValue => (key in known ? known[key] : (assignment.get(key) ?? null));
  const seen: ExprValue[] = [];
  const tryFrom = (index: number): boolean => {
    if (index === free.length) {
      const v = evaluate(node, value);
      if (!seen.includes(v)) seen.push(v);
      return stopAt?.(v) ?? false;
    }
    for (const candidate of candidates) {
      assignment.set(free[index], candidate);
      if (tryFrom(index + 1)) return true;
    }
    return false;
  };
  tryFrom(0);
  return seen;
}

/**
 * Whether a step or job with this `if:` (undefined: none) can run when the given terms have the
 * given values (keys as written in the expression, e.g. `github.actor`, `matrix.environment`).
 */
export function mayRun(condition: string | boolean | undefined, known: Readonly<Record<string, ExprValue>>): boolean {
  if (condition === undefined) return true;
  if (typeof condition === 'boolean') return condition;
  const source = condition.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  const node = parseExpression(STATUS.test(source) ? source : `success() && (${source})`);
  return possibleValues(node, known, truthy).some(truthy);
}

/**
 * The value of a workflow string such as a job's `env:` entry (`${{ ... }}` alone, or plain text)
 * when it is the same whatever the terms not given are; undefined when it depends on them.
 */
export function fixedValue(text: string, known: Readonly<Record<string, ExprValue>>): ExprValue | undefined {
  const m = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text);
  if (!m) return text.includes('${{') ? undefined : text;
  const values = possibleValues(parseExpression(m[1]), known);
  return values.length === 1 ? values[0] : undefined;
}
