// The Operators module: records, event time, watermarks, operators and pipelines (Swift API and
// YAML). See docs/MODULES.md for what it owns and what it must not know about (Kafka, files), and
// docs/PIPELINE.md for the YAML schema.
//
// How a runtime drives it:
//
//     let processor = try pipeline.processor(topic: "orders", partition: 3)
//     var emissions: [Emission] = []
//     try processor.process(record, state: &state, into: &emissions)   // one call per record
//     try processor.advanceWatermark(to: w, state: &state, into: &emissions)  // aligned mode only
//     processor.restore(from: state)                                    // after a checkpoint restore
//
// Everything that emits is a function of the records fed and the state: no wall clock, no
// randomness, no dependence on dictionary order. The one exception is the aligned watermark
// (``WatermarkAligner``), which depends on processing time and on how partitions interleave, and
// is documented as such.
