/**
 * The web console: plain HTML, CSS and ES modules committed in `apps/api/console/` (no build step),
 * served unauthenticated at /console/ (and / redirects there). The page itself talks to the same
 * public REST API as any client, with the API key the user typed (kept in the browser's localStorage).
 *
 *   GET /                       302 → /console/
 *   GET /console/…              the static files, under a strict Content-Security-Policy (no inline
 *                               scripts or styles, nothing from other origins)
 *   GET /console/labels.json    the emotion and event labels with the emoji FunASR's rich text uses
 *                               (decoding/rich-text.ts), so the page has no emoji table of its own
 */
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { emotionEmoji, eventEmoji } from '@earshot/core/decoding/rich-text';
import { AlertRuleSchema } from '@earshot/core/jobs/job-options';

/** `apps/api/console/`, beside `src/` and `dist/`. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

export interface ConsoleLabel {
  label: string;
  emoji: string;
}

/** The labels alert rules accept, each with its rich-text emoji ("" when rich text shows none). */
export function consoleLabels(): { emotions: ConsoleLabel[]; events: ConsoleLabel[] } {
  const [emotionRule, eventRule] = AlertRuleSchema.options;
  return {
    emotions: emotionRule.shape.emotion.options.map((label) => ({ label, emoji: emotionEmoji(label) })),
    events: eventRule.shape.event.options.map((label) => ({ label, emoji: eventEmoji(label) })),
  };
}

export function createConsoleRouter(dir: string = CONSOLE_DIR): Router {
  const router = Router();
  const labels = consoleLabels();

  router.get('/', (_req, res) => {
    res.redirect(302, '/console/');
  });
  router.use('/console', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  router.get('/console/labels.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(labels);
  });
  router.use('/console', express.static(dir, { index: 'index.html', maxAge: 0, fallthrough: true, redirect: true }));
  return router;
}
