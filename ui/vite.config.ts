import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// The Tauri shell loads http://localhost:1420 in development (devUrl) and embeds
// ./dist in builds (frontendDist). Keep the port fixed: Tauri does not discover it.
export default defineConfig(({ mode }) => ({
  plugins: [svelte(), svelteTesting({ autoCleanup: false })],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The emoji picker's data (emojibase-data, English compact set, ~570 kB) is a chunk of its
    // own, loaded the first time the picker opens; the app's own chunk stays far below this.
    chunkSizeWarningLimit: 600,
  },
  // Under vitest (mode "test"), resolve Svelte's browser build instead of its server build.
  ...(mode === 'test' ? { resolve: { conditions: ['browser'] } } : {}),
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    // Day separators ("Today", "Yesterday") depend on the local zone: pin it.
    env: { TZ: 'UTC' },
  },
}));
