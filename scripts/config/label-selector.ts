// Kubernetes label selectors in the string form (`app=multus,tier in (node)`) given on the command line: parsed and
// checked here, once. Matching labels against the structured metav1.LabelSelector form found in PodDisruptionBudgets
// is shared/label-match.ts.
import { isDnsSubdomain } from './dns-names.ts';

export type SelectorOperator = 'equals' | 'notEquals' | 'in' | 'notin' | 'exists' | 'doesNotExist' | 'gt' | 'lt';

export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /** The values to compare with; empty for exists/doesNotExist; one integer for gt/lt. */
  values: string[];
}

export interface ParsedSelector {
  /** The text the user gave. */
  text: string;
  /** All must match (AND). Empty: matches every set of labels. */
  requirements: SelectorRequirement[];
}

export type SelectorParseResult = { ok: true; selector: ParsedSelector } | { ok: false; message: string; fix: string };

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const SYNTAX_FIX =
  'write comma-separated requirements such as "app=multus", "tier!=edge", "env in (a,b)", "env notin (c)", "app" or "!legacy"';

/** Why `key` is not a qualified name (optional DNS-subdomain prefix, "/", name of ≤63 characters), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) {
    return `"${key}" has more than one "/"`;
  }
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '') {
      return `"${key}" has an empty prefix before "/"`;
    }
    if (!isDnsSubdomain(prefix)) {
      return `the prefix "${prefix}" of "${key}" is not a DNS subdomain (lower-case letters, digits, "-" and ".", at most 253 characters)`;
    }
  }
  if (name === '') {
    return `"${key}" has an empty name`;
  }
  if (name.length > 63) {
    return `the name part of "${key}" is ${name.length} characters long, more than 63`;
  }
  if (!NAME.test(name)) {
    return `the name part of "${key}" must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."`;
  }
  return undefined;
}

/** Why `value` is not a valid label value (empty, or ≤63 characters of the name syntax), or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') {
    return undefined;
  }
  if (value.length > 63) {
    return `the value "${value}" is ${value.length} characters long, more than 63`;
  }
  if (!NAME.test(value)) {
    return `the value "${value}" must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."`;
  }
  return undefined;
}

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<'; at: number };

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<', ' ', '\t', '\n', '\r']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i += 1;
    } else if (c === '=' && text[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '==', at: i });
      i += 2;
    } else if (c === '!' && text[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '!=', at: i });
      i += 2;
    } else if (c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<') {
      tokens.push({ kind: 'op', text: c, at: i });
      i += 1;
    } else {
      const start = i;
      while (i < text.length && !SPECIAL.has(text[i] ?? '')) {
        i += 1;
      }
      tokens.push({ kind: 'word', text: text.slice(start, i), at: start });
    }
  }
  return tokens;
}

class SelectorSyntaxError extends Error {}

/** Parse a label-selector string. The empty string is a valid selector that matches everything. */
export function parseLabelSelector(text: string): SelectorParseResult {
  try {
    return { ok: true, selector: { text, requirements: parseRequirements(text) } };
  } catch (error) {
    if (error instanceof SelectorSyntaxError) {
      return { ok: false, message: `the label selector "${text}" is invalid: ${error.message}`, fix: SYNTAX_FIX };
    }
    throw error;
  }
}

function parseRequirements(text: string): SelectorRequirement[] {
  const tokens = tokenize(text);
  const requirements: SelectorRequirement[] = [];
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const describe = (
    t: Token | undefined,
  ): string => (t === undefined ? 'the end' : `"${t.text}" at position ${t.at + 1}`);
  const fail = (message: string): never => {
    throw new SelectorSyntaxError(message);
  };
  const key = (): string => {
    const t = peek();
    if (t?.kind !== 'word') {
      return fail(`expected a label key but found ${describe(t)}`);
    }
    i += 1;
    const problem = qualifiedNameProblem(t.text);
    if (problem !== undefined) {
      fail(`the key ${problem}`);
    }
    return t.text;
  };
  const value = (allowEmpty: boolean): string => {
    const t = peek();
    if (t?.kind !== 'word') {
      if (allowEmpty) {
        return '';
      }
      return fail(`expected a value but found ${describe(t)}`);
    }
    i += 1;
    const problem = labelValueProblem(t.text);
    if (problem !== undefined) {
      fail(problem);
    }
    return t.text;
  };
  const valueList = (k: string): string[] => {
    const open = peek();
    if (open?.kind !== 'op' || open.text !== '(') {
      return fail(`expected "(" after "${k} in"/"notin" but found ${describe(open)}`);
    }
    i += 1;
    const values: string[] = [];
    for (;;) {
      values.push(value(true));
      const t = peek();
      if (t?.kind === 'op' && t.text === ',') {
        i += 1;
        continue;
      }
      if (t?.kind === 'op' && t.text === ')') {
        i += 1;
        break;
      }
      return fail(`expected "," or ")" in the value list of "${k}" but found ${describe(t)}`);
    }
    if (values.length === 1 && values[0] === '') {
      fail(`the value list of "${k}" is empty`);
    }
    return values;
  };

  if (tokens.length === 0) {
    return requirements;
  }
  for (;;) {
    const first = peek();
    if (first?.kind === 'op' && first.text === '!') {
      i += 1;
      requirements.push({ key: key(), operator: 'doesNotExist', values: [] });
    } else {
      const k = key();
      const op = peek();
      if (op === undefined || (op.kind === 'op' && op.text === ',')) {
        requirements.push({ key: k, operator: 'exists', values: [] });
      } else if (op.kind === 'op' && (op.text === '=' || op.text === '==')) {
        i += 1;
        requirements.push({ key: k, operator: 'equals', values: [value(true)] });
      } else if (op.kind === 'op' && op.text === '!=') {
        i += 1;
        requirements.push({ key: k, operator: 'notEquals', values: [value(true)] });
      } else if (op.kind === 'op' && (op.text === '>' || op.text === '<')) {
        i += 1;
        const v = value(false);
        if (!/^-?\d+$/.test(v)) {
          fail(`"${k} ${op.text} ${v}" needs an integer value`);
        }
        requirements.push({ key: k, operator: op.text === '>' ? 'gt' : 'lt', values: [v] });
      } else if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
        i += 1;
        requirements.push({ key: k, operator: op.text, values: valueList(k) });
      } else {
        fail(`expected an operator (=, ==, !=, in, notin) or "," after "${k}" but found ${describe(op)}`);
      }
    }
    const sep = peek();
    if (sep === undefined) {
      return requirements;
    }
    if (sep.kind === 'op' && sep.text === ',') {
      i += 1;
      if (peek() === undefined) {
        fail('it ends with ","');
      }
      continue;
    }
    fail(`expected "," between requirements but found ${describe(sep)}`);
  }
}
