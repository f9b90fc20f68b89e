import type { ActorKind } from '../scenarios/types.js'
import { duplicate } from './duplicate.js'
import { flood } from './flood.js'
import { malformed } from './malformed.js'
import { organic } from './organic.js'
import { spoof } from './spoof.js'
import { toggle } from './toggle.js'
import { unauthenticated } from './unauthenticated.js'
import type { ActorFactory } from './types.js'

/** ACTORS is the registry of traffic kinds, keyed by the scenario's `kind`. */
export const ACTORS = {
  organic,
  flood,
  duplicate,
  toggle,
  spoof,
  unauthenticated,
  malformed,
} satisfies Record<ActorKind, ActorFactory>
