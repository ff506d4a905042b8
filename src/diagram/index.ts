export { toMermaid } from './mermaid.js';
export {
  activeStateIds,
  allStates,
  type ChartEdge,
  type ChartState,
  type Statechart,
  statechartOf,
} from './statechart.js';
export { type SvgOptions, toSvg } from './svg.js';
