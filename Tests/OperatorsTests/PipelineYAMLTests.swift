import KeyedState
import Testing
import Yams

@testable import Operators

@Suite struct PipelineYAMLTests {
    private func error(_ yaml: String) throws -> PipelineDefinitionError {
        try #require(throws: PipelineDefinitionError.self) { try Pipeline(yaml: yaml) }
    }

    @Test func everyOperatorParsesAndRunsLikeItsSwiftForm() throws {
        let yaml = """
            event_time: {field: ts, format: epoch_millis}
            watermarks: {max_out_of_orderness: 10ms}
            on_error: stop
            operators:
              - filter: {field: kind, in: [click, "view"]}
              - project: [user, ts, amount]
              - key_by: user
              - deduplicate: {ttl: 5}
              - window:
                  type: tumbling
                  size: 100ms
                  aggregate: [{op: sum, field: amount, as: total}]
            """
        let pipeline = try Pipeline(yaml: yaml)
        #expect(pipeline.onError == .stop)
        #expect(pipeline.watermarks.maxOutOfOrdernessMillis == 10)
        #expect(pipeline.operatorCount == 5)
        let emitted = try run(pipeline, records([
            #"{"kind":"click","user":"u","ts":1,"amount":2}"#, #"{"kind":"buy","user":"u","ts":2,"amount":3}"#,
            #"{"kind":"view","user":"u","ts":9,"amount":4}"#, #"{"kind":"view","user":"v","ts":300,"amount":1}"#,
        ]))
        #expect(outputs(emitted) == [#"{"key":"u","window_start":0,"window_end":100,"total":2}"#])
    }

    @Test func unknownOperatorNamesItsLineAndTheOperatorsAllowed() throws {
        let error = try error("""
            operators:
              - key_by: user
              - summarize: {field: amount}
            """)
        #expect(error.code == .unknownOperator)
        #expect(error.line == 3)
        #expect(error.path == "operators[1].summarize")
        #expect(error.description == "line 3, column 5: `operators[1].summarize`: unknown operator `summarize`; allowed: "
            + "`filter`, `select`, `project`, `explode`, `key_by`, `aggregate`, `window`, `deduplicate`")
    }

    @Test func missingSettingNamesTheOperatorLineAndWhatIsNeeded() throws {
        let error = try error("""
            event_time: {source: record_timestamp}
            operators:
              - key_by: user
              - window:
                  type: sliding
                  size: 1m
                  aggregate: [{op: count}]
            """)
        #expect(error.code == .missingKey)
        #expect(error.line == 5)
        #expect(error.path == "operators[1].window.slide")
        #expect(error.description.contains("allowed: a duration"))
    }

    @Test func wrongTypeNamesTheValueFoundAndWhatIsAllowed() throws {
        let error = try error("""
            operators:
              - aggregate:
                  - {op: sum, field: [amount]}
            """)
        #expect(error.code == .wrongType)
        #expect(error.line == 3)
        #expect(error.path == "operators[0].aggregate[0].field")
        #expect(error.message == "expected a string, found a list")
    }

    @Test func windowWithoutEventTimeIsRejectedAtItsLine() throws {
        let error = try error("""
            operators:
              - key_by: user

              - window: {type: tumbling, size: 10s, aggregate: [{op: count}]}
            """)
        #expect(error.code == .needsEventTime)
        #expect(error.line == 4)
        #expect(error.description.contains("`operators[1].window`"))
        #expect(error.description.contains("declare `event_time`"))
    }

    @Test func unknownKeysAndValuesListTheAllowedOnes() throws {
        let unknownKey = try error("""
            operators:
              - deduplicate: {field: id, ttl: 1m, keep: last}
            """)
        #expect(unknownKey.code == .unknownKey)
        #expect(unknownKey.path == "operators[0].deduplicate.keep")
        #expect(unknownKey.allowed == "`field`, `ttl`")

        let badChoice = try error("""
            on_error: retry
            operators: []
            """)
        #expect(badChoice.code == .invalidValue)
        #expect(badChoice.line == 1)
        #expect(badChoice.allowed == "`dead_letter`, `stop`")

        let badDuration = try error("""
            event_time: {source: record_timestamp}
            operators:
              - deduplicate: {ttl: soon}
            """)
        #expect(badDuration.path == "operators[0].deduplicate.ttl")
        #expect(badDuration.message == "`soon` is not a duration")

        let badType = try error("""
            event_time: {field: ts, format: iso8601}
            operators:
              - window: {type: hopping, size: 1m, aggregate: [{op: count}]}
            """)
        #expect(badType.allowed == "`tumbling`, `sliding`, `session`")
        #expect(badType.path == "operators[0].window.type")
    }

    @Test func notYAMLAndMissingOperatorsAreClearErrors() throws {
        let notYAML = try error("operators:\n  - key_by: user\n  - [unclosed")
        #expect(notYAML.code == .invalidYAML)
        #expect(notYAML.line != nil)
        let missing = try error("on_error: stop")
        #expect(missing.code == .missingKey)
        #expect(missing.path == "(root).operators")
    }

    @Test func alignedWatermarksNeedAnIdleTimeout() throws {
        let error = try error("""
            watermarks: {mode: aligned}
            operators: []
            """)
        #expect(error.path == "watermarks.idle_timeout")
        let pipeline = try Pipeline(yaml: """
            watermarks: {mode: aligned, idle_timeout: 30s, max_out_of_orderness: 2s}
            operators: []
            """)
        #expect(pipeline.watermarks.mode == .aligned(idleTimeout: .seconds(30)))
    }
}

@Suite struct NestedPipelineYAMLTests {
    @Test func pipelineUnderAKeyOfALargerConfigurationNamesItsFullPath() throws {
        let root = try #require(try Yams.compose(yaml: """
            kafka: {bootstrap: "localhost:9092"}
            pipeline:
              operators:
                - key_by: [user]
            """))
        let section = try #require(root.mapping?["pipeline"])
        let error = try #require(throws: PipelineDefinitionError.self) { try Pipeline(yamlNode: section, path: "pipeline") }
        #expect(error.path == "pipeline.operators[0].key_by")
        #expect(error.line == 4)
    }
}
