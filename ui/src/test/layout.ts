// jsdom lays nothing out. The virtual lists (virtua: messages, contacts) measure their viewport
// and rows with ResizeObserver and scroll with Element.scrollTo; these stand-ins give them a fixed
// geometry: every scroll viewport is VIEWPORT_HEIGHT tall and every row ROW_HEIGHT, so virtua
// renders the rows of one screen (plus its buffer) as a browser would.

/** Height of a scroll viewport (an element styled `overflow-y: auto`), px. */
export const VIEWPORT_HEIGHT = 600;
/** Height of every other observed element (a list row), px. */
export const ROW_HEIGHT = 40;
const WIDTH = 800;

function heightOf(target: Element): number {
  return target instanceof HTMLElement && target.style.overflowY === 'auto'
    ? VIEWPORT_HEIGHT
    : ROW_HEIGHT;
}

class FixedSizeResizeObserver implements ResizeObserver {
  readonly #callback: ResizeObserverCallback;
  readonly #observed = new Set<Element>();

  constructor(callback: ResizeObserverCallback) {
    this.#callback = callback;
  }

  observe(target: Element): void {
    this.#observed.add(target);
    // Like a browser, report the size once after observing starts, asynchronously.
    setTimeout(() => {
      if (!this.#observed.has(target) || !target.isConnected) return;
      const height = heightOf(target);
      const rect = new DOMRectReadOnly(0, 0, WIDTH, height);
      const size = [{ inlineSize: WIDTH, blockSize: height }];
      const entry: ResizeObserverEntry = {
        target,
        contentRect: rect,
        borderBoxSize: size,
        contentBoxSize: size,
        devicePixelContentBoxSize: size,
      };
      this.#callback([entry], this);
    }, 0);
  }

  unobserve(target: Element): void {
    this.#observed.delete(target);
  }

  disconnect(): void {
    this.#observed.clear();
  }
}

/** Installs the stand-ins on jsdom's window (idempotent). */
export function installFixedLayout(): void {
  globalThis.ResizeObserver ??= FixedSizeResizeObserver;

  // virtua only measures rows that are rendered, which it tells by `offsetParent` (always
  // null in jsdom).
  Object.defineProperty(HTMLElement.prototype, 'offsetParent', {
    configurable: true,
    get(this: HTMLElement): Element | null {
      return this.isConnected ? this.parentElement : null;
    },
  });

  // jsdom keeps scrollTop as set but has no scrollTo/scrollBy; a scroll also fires `scroll`.
  function scrollTo(this: Element, options?: ScrollToOptions | number, y?: number): void {
    const top = typeof options === 'number' ? y : options?.top;
    if (top === undefined || top === this.scrollTop) return;
    this.scrollTop = Math.max(0, top);
    this.dispatchEvent(new Event('scroll'));
  }
  function scrollBy(this: Element, options?: ScrollToOptions | number, y?: number): void {
    const dy = (typeof options === 'number' ? y : options?.top) ?? 0;
    scrollTo.call(this, { top: this.scrollTop + dy });
  }
  Element.prototype.scrollTo ??= scrollTo;
  Element.prototype.scrollBy ??= scrollBy;
}
