/// ApiVersions (key 18): the versions of every API this broker answers.
struct ApiVersionsResponse: KafkaResponseBody {
    var errorCode: KafkaErrorCode = .none

    func encode(into w: inout KafkaWriter, version: Int16) {
        w.int16(errorCode.rawValue)
        w.array(ApiKey.allCases) { w, key in
            w.int16(key.rawValue)
            w.int16(key.supportedVersions.lowerBound)
            w.int16(key.supportedVersions.upperBound)
            w.taggedFields()
        }
        if version >= 1 { w.int32(0) }
        w.taggedFields()
    }
}
