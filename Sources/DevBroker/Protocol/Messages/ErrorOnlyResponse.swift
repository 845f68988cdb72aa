/// The response of Heartbeat, LeaveGroup, AddOffsetsToTxn, EndTxn: a throttle time (from `sinceVersion`) and an error code.
struct ErrorOnlyResponse: KafkaResponseBody {
    var errorCode: KafkaErrorCode
    var throttleSinceVersion: Int16 = 1

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= throttleSinceVersion { w.int32(0) }
        w.int16(errorCode.rawValue)
    }
}
