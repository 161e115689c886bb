/**
 * The API's description and its reference page, both public (no key: they describe, they serve
 * no data):
 *
 *   GET /openapi.json          the OpenAPI 3.1 document (openapi/openapi-document.ts)
 *   GET /docs                  a reference page rendering it with Swagger UI
 *   GET /docs/assets/:file     Swagger UI's script and stylesheet, served from the
 *                              swagger-ui-dist package (no CDN: machines may be offline)
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import { AppError } from '@earshot/core/errors/app-error';
import { openApiDocument } from '../openapi/openapi-document.js';

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/** Paths are relative, so the page also works behind a proxy that mounts the API under a prefix. */
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Earshot API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<style>body { margin: 0 } .topbar { display: none }</style>
</head>
<body>
<div id="reference"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: 'openapi.json', dom_id: '#reference', deepLinking: true, persistAuthorization: true, tryItOutEnabled: false });
</script>
</body>
</html>
`;

export function createOpenApiRouter(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  router.get('/docs/assets/:file', (req, res) => {
    const contentType = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined;
    if (!contentType) throw new AppError('NOT_FOUND', `no asset ${req.params.file.slice(0, 100)}`);
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type(contentType).sendFile(join(SWAGGER_UI_DIR, req.params.file));
  });
  return router;
}
