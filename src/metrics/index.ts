/**
 * Metrics: the Recorder (O(1) per request, mergeable), HDR helpers and the per-second timeline.
 */
export { Recorder, mergeEncoded } from './recorder.js'
export type { ActorSnapshot, EncodedRecorder, RecorderOptions, RecorderSummary, RequestRecord, Snapshot } from './recorder.js'
export { histogram, micros, stats, encode, decode, HIGHEST_US } from './hdr.js'
export type { Histogram, Stats } from './hdr.js'
export type { Counts, EncodedSlot, LatencySummary } from './slot.js'
export type { EncodedTimeline, TimelineRow } from './timeline.js'
