import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built by `npm run build` into console/dist, which the gateway serves at / (src/server/consoleAssets.ts).
// Everything is bundled (GraphiQL included): no CDN, the console works offline.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2500, sourcemap: false },
  server: { proxy: { '/graphql': 'http://localhost:4000', '/export.csv': 'http://localhost:4000', '/console/': 'http://localhost:4000' } },
});
