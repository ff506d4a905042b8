export {
  ElectionInputError,
  type ElectionStrategy,
  type ElectLeadersOptions,
  electLeaders,
} from './elect-leaders.js';
export { GoRand } from './go-math-rand.js';
