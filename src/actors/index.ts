import type { ActorKind } from '../scenarios/types.js'
import { organic } from './organic.js'
import type { ActorFactory } from './types.js'

/** ACTORS is the registry of traffic kinds, keyed by the scenario's `kind`. */
export const ACTORS = {
  organic,
} satisfies Partial<Record<ActorKind, ActorFactory>> as Record<ActorKind, ActorFactory>
