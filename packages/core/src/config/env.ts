import { z } from 'zod';
import { AppError } from '../errors/app-error.js';

/**
 * The one place that reads the environment. Each concern has a zod schema over
 * an object of plain strings; `parseEnv` maps env var names to schema fields,
 * parses once at start-up and reports every invalid variable at once.
 */
export type EnvSource = Readonly<Record<string, string | undefined>>;

export function processEnv(): EnvSource {
  return process.env;
}

/** `mapping` is field → ENV_NAME; empty strings count as unset. */
export function parseEnv<S extends z.ZodType>(schema: S, mapping: Record<string, string>, env: EnvSource): z.infer<S> {
  const input: Record<string, string> = {};
  for (const [field, name] of Object.entries(mapping)) {
    const value = env[name];
    if (value !== undefined && value !== '') input[field] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${mapping[String(i.path[0])] ?? i.path.join('.')}: ${i.message}`);
    throw new AppError('INVALID_OPTIONS', `invalid configuration: ${problems.join('; ')}`, { details: { problems } });
  }
  return parsed.data;
}
