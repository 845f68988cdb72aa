// The C boundary of Exactly: librdkafka's public headers, plus static-inline shims for what
// Swift cannot call directly (variadic functions, macros).
#ifndef EXACTLY_CRDKAFKA_SHIM_H
#define EXACTLY_CRDKAFKA_SHIM_H

#include <stdlib.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// Enqueues one message to `topic`, a handle from rd_kafka_topic_new (rd_kafka_producev is
/// variadic, so Swift cannot call it).
///
/// The key and value are copied (RD_KAFKA_MSG_F_COPY). On success librdkafka takes ownership of
/// `headers` (which may be NULL); on failure the caller still owns them and must destroy them.
/// `partition` may be RD_KAFKA_PARTITION_UA to let the configured partitioner choose, and
/// `timestamp` 0 to let librdkafka stamp the message.
static inline rd_kafka_resp_err_t exactly_produce(rd_kafka_t *rk,
                                                  rd_kafka_topic_t *topic,
                                                  int32_t partition,
                                                  const void *key,
                                                  size_t key_len,
                                                  const void *value,
                                                  size_t value_len,
                                                  rd_kafka_headers_t *headers,
                                                  int64_t timestamp) {
        return rd_kafka_producev(rk,
                                 RD_KAFKA_V_RKT(topic),
                                 RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(key, key_len),
                                 RD_KAFKA_V_VALUE((void *)value, value_len),
                                 RD_KAFKA_V_HEADERS(headers),
                                 RD_KAFKA_V_TIMESTAMP(timestamp),
                                 RD_KAFKA_V_END);
}

/// Counts a successful send on the calling thread and returns the thread's count so far. Per
/// thread, so that threads sending side by side do not write a shared counter per record.
static inline unsigned exactly_count_send_on_this_thread(void) {
        static __thread unsigned count;
        return ++count;
}

/// Makes the mock cluster's broker `broker_id` answer its next request of `api_key` normally,
/// but only after `rtt_ms` milliseconds (rd_kafka_mock_broker_push_request_error_rtts is
/// variadic). Tests use it to hold a client inside a protocol step.
static inline rd_kafka_resp_err_t exactly_mock_delay_next_request(rd_kafka_mock_cluster_t *mcluster,
                                                                  int32_t broker_id,
                                                                  int16_t api_key,
                                                                  int rtt_ms) {
        return rd_kafka_mock_broker_push_request_error_rtts(
            mcluster, broker_id, api_key, 1, RD_KAFKA_RESP_ERR_NO_ERROR, rtt_ms);
}

#endif
