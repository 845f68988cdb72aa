/// What a user aggregate's `result` closure is told about the group it summarises.
public struct AggregateContext: Sendable {
    /// The key.
    public var key: [UInt8]
    /// The window, for a window operator.
    public var window: Window?
}
