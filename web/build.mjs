// build.mjs - bundles the dashboard with esbuild into dist/: dist/index.html
// and dist/assets/app.js + app.css (ECharts included, no CDN), so parkstatd
// serves a page that works without internet.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/assets', { recursive: true });
await build({
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir: 'dist/assets',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync('style.css', 'dist/assets/app.css');
copyFileSync('index.html', 'dist/index.html');
console.log('web: built dist/index.html, dist/assets/app.js, dist/assets/app.css');
