import CRdKafka

/// Builds an `rd_kafka_conf_t` from properties, checking each one as it is set.
enum NativeConfiguration {
    /// A new configuration holding `properties`; the caller owns it. Fails on the first key or
    /// value librdkafka rejects, naming it (values of secret-looking keys are not repeated).
    static func make(_ properties: [(String, String)]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(.clientCreation, "librdkafka could not allocate a configuration")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let shown = isSecret(key) ? "(hidden)" : "`\(value)`"
                throw KafkaError(
                    .invalidConfiguration,
                    "Kafka property `\(key)` = \(shown) was rejected by librdkafka: "
                        + "\(String(errorBuffer: errorText)). See librdkafka's CONFIGURATION.md for "
                        + "the allowed keys and values."
                )
            }
        }
        return conf
    }

    private static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "secret", "key", "token"].contains { lowered.contains($0) }
            && !lowered.hasSuffix(".location")
    }
}

extension String {
    /// The NUL-terminated text librdkafka wrote into an error buffer.
    init(errorBuffer: [CChar]) {
        self = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
