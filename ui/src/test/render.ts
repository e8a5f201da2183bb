import { render } from '@testing-library/svelte';
import App from '../App.svelte';
import { AppState } from '../lib/stores/app.svelte';

/** A fixed "now" for tests: 2026-11-20 15:00 UTC. */
export const NOW = Date.UTC(2026, 10, 20, 15, 0);

/** Mounts the whole app against whatever `mockIPC` answers, with a fixed clock. */
export function renderApp(options: { attended?: boolean } = {}): ReturnType<typeof render> {
  const attended = options.attended ?? true;
  return render(App, {
    props: { createState: () => new AppState({ clock: () => NOW, isAttended: () => attended }) },
  });
}
