import Testing

@testable import Runtime

@Suite struct SourceTopicWatchTests {
    let start = ContinuousClock.now

    struct ListingFailed: Error {}

    /// A watch on `orders` and `refunds` with a 10 s grace period.
    static func watch() -> SourceTopicWatch {
        SourceTopicWatch(sourceTopics: ["orders", "refunds"], grace: .seconds(10))
    }

    /// Whether a check is due `seconds` after the start.
    func due(_ watch: inout SourceTopicWatch, after seconds: Int) -> Bool {
        watch.checkIsDue(at: start + .seconds(seconds))
    }

    @Test func withoutReportsNoCheckIsEverDue() {
        var watch = Self.watch()
        #expect(!due(&watch, after: 0))
        #expect(!due(&watch, after: 3600))
    }

    @Test func aCheckIsDueOnceTheReportsHaveGoneOnForTheGracePeriodAndOnlyOnce() {
        var watch = Self.watch()
        watch.missingReported(at: start)
        watch.missingReported(at: start + .seconds(5))  // a later report does not move the start
        #expect(!due(&watch, after: 9))
        #expect(due(&watch, after: 10))
        #expect(!due(&watch, after: 11), "one check at a time")
    }

    @Test func aListingWithoutASourceTopicNamesIt() {
        var watch = Self.watch()
        watch.missingReported(at: start)
        #expect(due(&watch, after: 10))
        let missing = watch.listed(.success(["orders", "totals"]), at: start + .seconds(11))
        #expect(missing == ["refunds"])
    }

    @Test func aListingWithEverySourceTopicClearsTheSuspicion() {
        var watch = Self.watch()
        watch.missingReported(at: start)
        #expect(due(&watch, after: 10))
        let missing = watch.listed(.success(["orders", "refunds"]), at: start + .seconds(11))
        #expect(missing.isEmpty)
        #expect(!due(&watch, after: 100), "no reports since: nothing to check")
        watch.missingReported(at: start + .seconds(200))
        #expect(!due(&watch, after: 205), "a new suspicion waits its own grace period")
        #expect(due(&watch, after: 210))
    }

    @Test func aListingThatFailsStopsNothingAndIsTriedAgainAfterAnotherGracePeriod() {
        var watch = Self.watch()
        watch.missingReported(at: start)
        #expect(due(&watch, after: 10))
        let missing = watch.listed(.failure(ListingFailed()), at: start + .seconds(20))
        #expect(missing.isEmpty)
        #expect(!due(&watch, after: 29))
        #expect(due(&watch, after: 30))
    }

    @Test func theStopMessageNamesTheTopicTheClusterTheGroupAndWhatToDo() {
        let message = SourceTopicWatch.stopMessage(
            missing: ["orders"], bootstrap: "kafka:9092", clusterListing: "it has totals", grace: .seconds(10),
            lastCommitted: CheckpointID(instance: "app-0", incarnation: 2, sequence: 7), group: "app")
        #expect(message.hasPrefix("source topic `orders` no longer exists on kafka:9092 (deleted while the processor ran"))
        #expect(message.contains("it has totals"))
        #expect(message.contains("the last committed checkpoint is app-0-2.7"))
        #expect(message.contains("the consumer group `app`'s committed offsets"))
        #expect(message.contains("fix `source.topics`"))
        let two = SourceTopicWatch.stopMessage(
            missing: ["a", "b"], bootstrap: "k:1", clusterListing: "it has no topics", grace: .seconds(1), lastCommitted: nil, group: "g")
        #expect(two.hasPrefix("source topics `a`, `b` no longer exist on k:1"))
        #expect(two.contains("no checkpoint was committed by this run"))
    }
}
