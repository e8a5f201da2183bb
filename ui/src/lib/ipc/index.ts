export * from './bindings';
export * from './commands';
export * from './errors';
export * from './events';
export * from './window';
export * from './dragDrop';
