/** The `earshot` CLI as users run it: a real process on real files with the tiny generated model. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { truncateBytes, withGarbageTail } from '@earshot/core/audio/damage-audio';
import { formatTranscript } from '@earshot/core/results/formats/format-transcript';
import type { Transcript } from '@earshot/core/results/transcript';
import { REPO_ROOT, TEST_AUDIO_DIR, TINY_MODEL_DIR } from './setup/paths.js';

const CLI = join(REPO_ROOT, 'apps/cli/dist/main.js');
const audio = (f: string): string => join(TEST_AUDIO_DIR, f);

async function earshot(args: string[], cwd = REPO_ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, EARSHOT_MODEL_DIR: '' };
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [CLI, ...args], { cwd, env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('earshot transcribe', () => {
  const work = mkdtempSync(join(tmpdir(), 'earshot-cli-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('prints a labelled JSON transcript with segments where speech was placed', async () => {
    const r = await earshot(['transcribe', audio('en-zh-silence.wav'), '--model', TINY_MODEL_DIR, '--format', 'json', '-t', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SYNTHETIC model/);
    const t = JSON.parse(r.stdout) as Transcript;
    expect(t.model.synthetic).toBe(true);
    expect(t.notice).toMatch(/not a transcription/);
    const manifest = JSON.parse(readFileSync(audio('manifest.json'), 'utf8')) as {
      files: Record<string, { speech: { startS: number; endS: number }[] }>;
    };
    for (const placed of manifest.files['en-zh-silence.wav']!.speech) {
      expect(t.segments.some((s) => s.startS < placed.endS && s.endS > placed.startS)).toBe(true);
    }
    expect(t.timings.realTimeFactor).toBeGreaterThan(0);
  });

  it('decodes a file as one segment with --no-vad and writes every format to --out-dir', async () => {
    const r = await earshot(['transcribe', audio('en.wav'), '--model', TINY_MODEL_DIR, '--no-vad', '--format', 'json', '-t', '1']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout) as Transcript;
    expect(t.segments).toHaveLength(1);
    expect(t.segments[0]!.startS).toBe(0);
    expect(t.options.vad).toBe(false);

    for (const format of ['srt', 'vtt', 'txt', 'rich']) {
      const w = await earshot(['transcribe', audio('en-zh-silence.mp3'), '--model', TINY_MODEL_DIR, '-f', format, '--tags', '-o', work]);
      expect(w.code, w.stderr).toBe(0);
    }
    expect(readdirSync(work).sort()).toEqual(['en-zh-silence.rich.txt', 'en-zh-silence.srt', 'en-zh-silence.txt', 'en-zh-silence.vtt']);
    expect(readFileSync(join(work, 'en-zh-silence.srt'), 'utf8')).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n\[/);
    expect(readFileSync(join(work, 'en-zh-silence.vtt'), 'utf8')).toMatch(/^WEBVTT\n\nNOTE \[synthetic model/);
    expect(readFileSync(join(work, 'en-zh-silence.txt'), 'utf8')).toMatch(/^\[synthetic model/);
  });

  it('transcribes a call channel by channel with --channels separate and labels its lines with --channel-names', async () => {
    const r = await earshot(['transcribe', audio('call-stereo.wav'), '--model', TINY_MODEL_DIR, '--channels', 'separate', '--channel-names', 'agent, customer', '-f', 'txt', '-t', '1']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(/^\[synthetic model/);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines.slice(1)) expect(line).toMatch(/^(agent|customer): /);
    expect(new Set(lines.slice(1).map((l) => l.split(':')[0]))).toEqual(new Set(['agent', 'customer']));
    const json = await earshot(['transcribe', audio('call-stereo.wav'), '--model', TINY_MODEL_DIR, '--channels', 'separate', '-f', 'json', '-t', '1']);
    const t = JSON.parse(json.stdout) as Transcript;
    expect(t.channels?.map((c) => [c.channel, c.name])).toEqual([
      [0, null],
      [1, null],
    ]);
    const refused = await earshot(['transcribe', audio('en.wav'), '--model', TINY_MODEL_DIR, '--channel-names', 'agent']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/INVALID_OPTIONS.*channelNames/);
  });

  it('times the words of VTT cues with --word-timestamps', async () => {
    const json = await earshot(['transcribe', audio('en.wav'), '--model', TINY_MODEL_DIR, '-f', 'json', '-t', '1']);
    const t = JSON.parse(json.stdout) as Transcript;
    const r = await earshot(['transcribe', audio('en.wav'), '--model', TINY_MODEL_DIR, '-f', 'vtt', '--word-timestamps', '-t', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(formatTranscript(t, 'vtt', { wordTimestamps: true }).body);
    const tags = r.stdout.match(/<\d\d:\d\d:\d\d\.\d{3}>/g) ?? [];
    // One tag per word but the first of each cue.
    const cues = r.stdout.split('\n\n').filter((block) => block.includes(' --> ')).length;
    expect(tags.length).toBeGreaterThan(0);
    expect(tags.length).toBeLessThanOrEqual(t.segments.flatMap((s) => s.words).length - cues);
    const plain = await earshot(['transcribe', audio('en.wav'), '--model', TINY_MODEL_DIR, '-f', 'vtt', '-t', '1']);
    expect(plain.stdout).toBe(r.stdout.replace(/<\d\d:\d\d:\d\d\.\d{3}>/g, ''));
  });

  it('reports a bad file with its code, goes on with the others and exits 1', async () => {
    const r = await earshot(['transcribe', audio('corrupt.mp3'), audio('en.wav'), audio('missing.wav'), '--model', TINY_MODEL_DIR, '-f', 'txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/corrupt\.mp3: AUDIO_CORRUPT/);
    expect(r.stderr).toMatch(/missing\.wav: SOURCE_NOT_FOUND/);
    expect(r.stdout).toContain('==> ');
    expect(r.stdout).toContain('en.wav');
  });

  it('says how to get a model when none is configured', async () => {
    const r = await earshot(['transcribe', audio('en.wav')], work);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('model:download');
    expect(r.stderr).toContain('model:generate');
    expect(r.stderr).toMatch(/RANDOM weights/);
  });

  it('rejects unknown options and languages', async () => {
    const r = await earshot(['transcribe', audio('en.wav'), '--model', TINY_MODEL_DIR, '--language', 'fr']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Allowed choices are auto, zh, en, yue, ja, ko/);
  });
});

describe('earshot transcribe on damaged files (the partial-decode rule)', () => {
  const damaged = mkdtempSync(join(tmpdir(), 'earshot-cli-damaged-'));
  afterAll(() => rmSync(damaged, { recursive: true, force: true }));
  const mp3 = readFileSync(audio('en-zh-silence.mp3'));

  it('refuses the head of an MP3 followed by random bytes: AUDIO_CORRUPT, exit 1', async () => {
    const file = join(damaged, 'garbage-tail.mp3');
    writeFileSync(file, withGarbageTail(mp3, 700, 3000, 20240717));
    const r = await earshot(['transcribe', file, '--model', TINY_MODEL_DIR, '-f', 'txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/garbage-tail\.mp3: AUDIO_CORRUPT: The mp3 file is damaged: [\d.]+ s decoded of the 11\.196 s it declares/);
    expect(r.stdout).toBe('');
  });

  it('transcribes an MP3 cut at 90 % with a warning on stderr and in the JSON, exit 0', async () => {
    const file = join(damaged, 'cut.mp3');
    writeFileSync(file, truncateBytes(mp3, 0.9));
    const r = await earshot(['transcribe', file, '--model', TINY_MODEL_DIR, '-f', 'json', '-t', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cut\.mp3: warning: AUDIO_PARTIALLY_DECODED: .*[\d.]+ s decoded of the 11\.196 s it declares/);
    const t = JSON.parse(r.stdout) as Transcript;
    expect(t.warnings).toEqual([
      { code: 'AUDIO_PARTIALLY_DECODED', message: expect.any(String), decodedS: t.audio.durationS, declaredS: 11.196 },
    ]);
    expect(t.audio.durationS).toBeGreaterThan(9.5);
    expect(t.audio.durationS).toBeLessThan(10.5);
  });
});

describe('earshot download-model (argument handling only: no network here)', () => {
  it('prints the plan with --dry-run', async () => {
    const r = await earshot(['download-model', '--dry-run', '--variant', 'both', '--out', '/tmp/x-model']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17.tar.bz2');
    expect(r.stderr).toContain('model.onnx, model.int8.onnx, tokens.txt');
  });

  it('refuses a malformed checksum, a non-http URL and a non-archive URL', async () => {
    expect((await earshot(['download-model', '--dry-run', '--sha256', 'abc'])).stderr).toMatch(/INVALID_OPTIONS: --sha256 must be 64 hex digits/);
    expect((await earshot(['download-model', '--dry-run', '--url', 'ftp://x/y.tar.bz2'])).stderr).toMatch(/INVALID_OPTIONS: --url must be http/);
    const r = await earshot(['download-model', '--dry-run', '--url', 'https://example.com/model.zip']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\.tar\.bz2/);
    expect((await earshot(['download-model', '--variant', 'fp16'])).code).toBe(1);
  });
});
