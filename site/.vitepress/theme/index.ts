// The site's theme (issue 7): VitePress's default theme, plus the diagram components the
// chapter pages use by name (<TracePlayer>, <BuildDiagram>, <LayerStack> …). Each diagram is
// drawn from a recorded trace (site/traces/) by a pure model in site/lib/; the components only
// lay it out. One line per component: add yours below.
import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import TracePlayer from './components/TracePlayer.vue';
import BuildDiagram from './components/BuildDiagram.vue';
import LayerStack from './components/LayerStack.vue';
import ContainerState from './components/ContainerState.vue';
import RegistryGraph from './components/RegistryGraph.vue';
import ApiCalls from './components/ApiCalls.vue';
import './diagrams.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('TracePlayer', TracePlayer);
    app.component('BuildDiagram', BuildDiagram);
    app.component('LayerStack', LayerStack);
    app.component('ContainerState', ContainerState);
    app.component('RegistryGraph', RegistryGraph);
    app.component('ApiCalls', ApiCalls);
  },
} satisfies Theme;
