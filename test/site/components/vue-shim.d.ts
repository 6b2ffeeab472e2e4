// For tsc: a .vue file's default export is a component (vite's vue plugin compiles it in tests).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<Record<string, unknown>, Record<string, unknown>, unknown>;
  export default component;
}
