// The two steps rotate.ts takes, for tests that want a whole Config: parseSettings (before any API call), then
// resolveNamespaces with the namespace a connection would give. The settings' problems stop it first, as in rotate.ts.
import type { Config } from '../../../scripts/config/config.ts';
import { parseSettings, resolveNamespaces } from '../../../scripts/config/parse-config.ts';
import type { ConfigProblem } from '../../../scripts/config/rules.ts';

export type ParseConfigResult =
  | { ok: true; config: Readonly<Config>; help: boolean }
  | { ok: false; problems: ConfigProblem[] };

export function parseConfig(argv: string[], env: Record<string, string | undefined>,
  ctx: { defaultNamespace: string }): ParseConfigResult {
  const settings = parseSettings(argv, env);
  if (!settings.ok) return settings;
  const resolved = resolveNamespaces(settings.settings, ctx.defaultNamespace);
  return resolved.ok ? { ...resolved, help: settings.help } : resolved;
}
