/**
 * `earshot submit|status|result|jobs` as users run them: real CLI processes against a real API and
 * worker (tiny generated model, S3 store, Redis), configured through EARSHOT_URL / EARSHOT_API_KEY
 * or the flags.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEarshotStack, type EarshotStack } from './support/earshot-stack.js';
import { REPO_ROOT } from './setup/paths.js';

const CLI = join(REPO_ROOT, 'apps/cli/dist/main.js');
let stack: EarshotStack;

beforeAll(async () => {
  stack = await createEarshotStack({ name: 'cli-client', tenant: 'cli' });
  await Promise.all([stack.startApi(), stack.startWorker()]);
});

afterAll(async () => {
  await stack?.close();
});

async function earshot(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env, EARSHOT_URL: stack.api.baseUrl, EARSHOT_API_KEY: stack.apiKey, ...env };
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [CLI, ...args], { env: base, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('earshot as an API client', () => {
  it('submit --wait uploads a file, draws progress and prints the result in the chosen format', async () => {
    const r = await earshot(['submit', stack.audioFile('en-zh-silence.wav'), '--wait', '--format', 'srt', '--language', 'auto', '--progress']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/m);
    expect(r.stderr).toMatch(/^job [0-9a-f-]{36} queued$/m);
    expect(r.stderr).toMatch(/\[#{30}\] 100 % completed *\n$/);
    // Segment counts come only from the job's event stream (polling cannot see segments).
    expect(r.stderr).toMatch(/ · \d+ segments/);
  });

  it('submit prints the id; status, result and jobs read the job back', async () => {
    const submitted = await earshot(['submit', stack.audioFile('en.wav'), '--itn']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await stack.api.waitForStatus(id, ['completed']);

    const status = await earshot(['status', id]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^id +${id}$`, 'm'));
    expect(status.stdout).toMatch(/^status +completed$/m);
    expect(status.stdout).toMatch(/SYNTHETIC MODEL \(not a transcription\)/);
    const asJson = JSON.parse((await earshot(['status', id, '--json'])).stdout) as { id: string; options: { itn: boolean } };
    expect(asJson.id).toBe(id);
    expect(asJson.options.itn).toBe(true);

    const result = await earshot(['result', id, '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const transcript = JSON.parse(result.stdout) as { model: { synthetic: boolean }; segments: unknown[] };
    expect(transcript.model.synthetic).toBe(true);
    expect(transcript.segments.length).toBeGreaterThan(0);

    const jobs = await earshot(['jobs', '--status', 'completed', '-n', '50']);
    expect(jobs.code, jobs.stderr).toBe(0);
    const lines = jobs.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID +STATUS +DURATION +LANGUAGE +CREATED$/);
    expect(lines.some((l) => l.startsWith(id) && / completed /.test(l))).toBe(true);
  });

  it('submits a URL the server fetches, with the key given as a flag', async () => {
    const r = await earshot(['submit', stack.audio.urlOf('en.wav'), '--wait', '--format', 'txt', '--api-key', stack.apiKey], { EARSHOT_API_KEY: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('submits a call channel by channel with names and allowed languages, and prints labelled lines', async () => {
    const r = await earshot(['submit', stack.audioFile('call-stereo.wav'), '--wait', '--format', 'txt', '--channels', 'separate', '--channel-names', 'agent,customer', '--languages', 'en,zh']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('['));
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toMatch(/^(agent|customer): /);
  });

  it('answers errors with the API code and a non-zero exit, never a stack trace', async () => {
    const missing = await earshot(['status', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('earshot: NOT_FOUND: job 00000000-0000-4000-8000-000000000000 not found\n');

    const badKey = await earshot(['jobs'], { EARSHOT_API_KEY: 'wrong' });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^earshot: UNAUTHORIZED: /);

    const noKey = await earshot(['jobs'], { EARSHOT_API_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/no API key/);

    const noServer = await earshot(['jobs', '--url', 'http://127.0.0.1:9']);
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toMatch(/^earshot: CONNECTION_FAILED: cannot reach http:\/\/127\.0\.0\.1:9/);

    const noFile = await earshot(['submit', '/nonexistent/a.wav']);
    expect(noFile.code).toBe(2);

    const notAudio = await earshot(['submit', stack.audioFile('random.bin'), '--wait']);
    expect(notAudio.code).toBe(1);
    expect(notAudio.stderr).toMatch(/AUDIO_UNSUPPORTED_FORMAT/);
  });
});
