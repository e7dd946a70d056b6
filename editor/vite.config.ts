// Builds the editor to editor/dist (served by the server). `npm run dev:editor` serves it with hot reload,
// proxying the API to a server on LATENTFLOW_URL (default http://127.0.0.1:8188).
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const server = process.env.LATENTFLOW_URL ?? 'http://127.0.0.1:8188';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: {
      '/api': server,
      '/view': server,
      '/upload': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
