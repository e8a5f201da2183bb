import { mount } from 'svelte';
import App from './App.svelte';
import DatabaseLocked from './lib/components/layout/DatabaseLocked.svelte';
import { databaseProblem } from './lib/ipc';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

// The app starts once its database is open; until then the window says why it is not.
void databaseProblem()
  .catch(() => null)
  .then((problem) => {
    if (problem === null) {
      mount(App, { target });
    } else {
      mount(DatabaseLocked, { target, props: { problem, onOpened: () => window.location.reload() } });
    }
  });
