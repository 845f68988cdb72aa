/* Load tool for scripts/bench-pipeline.sh, over the system librdkafka.
 *
 *   pipeline-load produce BOOTSTRAP TOPIC RECORDS KEYS PARTITIONS [FIRST_KEY]
 *       writes RECORDS JSON orders of about 100 bytes, {"user":"k<i % KEYS>","amount":..,"pad":".."},
 *       to partition (key % PARTITIONS), so each key stays in one partition.
 *   pipeline-load pipe BOOTSTRAP IN OUT RECORDS [wake] [transactional] [epoch-ms=N]
 *       the baseline: consumes IN from the beginning and produces every record unchanged to
 *       OUT (no state, no transactions), until RECORDS were consumed and delivered; prints
 *       "raw-pipe records=N seconds=S records_per_second=R starved_seconds=W cpu_us_per_record=C",
 *       W being the time the consumer had nothing to hand out and C the CPU time of all of the
 *       tool's threads (librdkafka's too) per record, over the same span as S, as exactly's
 *       cpu_us_per_record is. With "wake", a thread wakes librdkafka's fetcher
 *       when the fetch-ahead queue runs low, as exactly's consumer does (KafkaClient's
 *       FetchWakeup, whose comment says why). With "transactional", the pipe is librdkafka's
 *       textbook exactly-once pipe and does the Kafka work exactly does, but nothing else: a
 *       transactional producer, a read_committed consumer, every output stamped with a header
 *       shaped like exactly.source (<topic>/<partition>/<offset>), and each second the consumed
 *       positions sent into the transaction and the transaction committed (prints
 *       "transactional-pipe ..." and commits=N). "epoch-ms=N" commits every N milliseconds
 *       instead of every second (exactly's checkpoint interval), as scripts/bench-pipeline.sh
 *       does at 100 ms: what a librdkafka pipe with no state pays for short epochs.
 *   pipeline-load delete BOOTSTRAP TOPIC...
 *       deletes the topics (a run's output), so that the development broker, which keeps what
 *       it holds in memory, does not grow from one run to the next.
 */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of every thread of the process, in seconds. */
static double process_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long failures;
static void count_failures(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) failures++;
}

static void configure(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char error[256];
    if (rd_kafka_conf_set(conf, key, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "config %s=%s: %s\n", key, value, error);
        exit(2);
    }
}

/* An idempotent producer; a transactional one when `transactional_id` is given. */
static rd_kafka_t *new_producer(const char *bootstrap, const char *transactional_id) {
    char error[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    configure(conf, "bootstrap.servers", bootstrap);
    configure(conf, "linger.ms", "5");
    configure(conf, "queue.buffering.max.messages", "1000000");
    configure(conf, "enable.idempotence", "true");
    if (transactional_id) configure(conf, "transactional.id", transactional_id);
    rd_kafka_conf_set_dr_msg_cb(conf, count_failures);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!producer) { fprintf(stderr, "producer: %s\n", error); exit(1); }
    return producer;
}

/* Through a topic handle, as exactly's producer does: naming the topic per record makes
 * librdkafka look it up under its client-wide write lock for every record. `headers` (or NULL)
 * is librdkafka's once the record is queued, as exactly's producer hands them over. */
static void produce_or_wait(rd_kafka_t *producer, rd_kafka_topic_t *topic, int32_t partition,
                            const void *key, size_t key_length, const void *value, size_t length,
                            rd_kafka_headers_t *headers) {
    while (rd_kafka_producev(producer, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_length),
                             RD_KAFKA_V_VALUE((void *)value, length), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END)
           == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer, 1);
    }
}

/* The header exactly stamps its outputs with: exactly.source = <topic>/<partition>/<offset>. */
static rd_kafka_headers_t *source_header(const rd_kafka_message_t *source) {
    char value[96];
    int length = snprintf(value, sizeof value, "%s/%d/%lld", rd_kafka_topic_name(source->rkt), (int)source->partition,
                          (long long)source->offset);
    rd_kafka_headers_t *headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, "exactly.source", -1, value, length);
    return headers;
}

static void fail_on(rd_kafka_error_t *error, const char *what) {
    if (!error) return;
    fprintf(stderr, "%s: %s\n", what, rd_kafka_error_string(error));
    exit(1);
}

/* Sends the consumer's positions into the open transaction, commits it and opens the next. */
static void commit_epoch(rd_kafka_t *consumer, rd_kafka_t *producer) {
    rd_kafka_topic_partition_list_t *positions = NULL;
    if (rd_kafka_assignment(consumer, &positions) || !positions) { fprintf(stderr, "assignment failed\n"); exit(1); }
    rd_kafka_position(consumer, positions);
    rd_kafka_consumer_group_metadata_t *group = rd_kafka_consumer_group_metadata(consumer);
    fail_on(rd_kafka_send_offsets_to_transaction(producer, positions, group, 30000), "send offsets to the transaction");
    rd_kafka_consumer_group_metadata_destroy(group);
    rd_kafka_topic_partition_list_destroy(positions);
    fail_on(rd_kafka_commit_transaction(producer, 30000), "commit the transaction");
    fail_on(rd_kafka_begin_transaction(producer), "begin a transaction");
}

static int finish(rd_kafka_t *producer) {
    while (rd_kafka_outq_len(producer) > 0) rd_kafka_poll(producer, 50);
    rd_kafka_destroy(producer);
    if (failures) { fprintf(stderr, "%ld records were not delivered\n", failures); return 1; }
    return 0;
}

static int produce_orders(const char *bootstrap, const char *topic, long records, long keys, int partitions, long first_key) {
    rd_kafka_t *producer = new_producer(bootstrap, NULL);
    rd_kafka_topic_t *handle = rd_kafka_topic_new(producer, topic, NULL);
    char key[32], value[160];
    for (long i = 0; i < records; i++) {
        long k = first_key + i % keys;
        int key_length = snprintf(key, sizeof key, "k%ld", k);
        int length = snprintf(value, sizeof value,
                              "{\"user\":\"%s\",\"amount\":%ld,\"pad\":\"%.*s\"}", key, i % 97,
                              (int)(100 - 32 - key_length), "................................................................................");
        produce_or_wait(producer, handle, (int32_t)(k % partitions), key, (size_t)key_length, value, (size_t)length, NULL);
        if ((i & 4095) == 0) rd_kafka_poll(producer, 0);
    }
    rd_kafka_topic_destroy(handle);
    return finish(producer);
}

/* Whether an assigned partition has records past the consumer's position (librdkafka's cached
 * high watermark; a partition not fetched yet counts as behind). */
static int is_behind(rd_kafka_t *consumer, rd_kafka_topic_partition_list_t *assignment) {
    if (rd_kafka_position(consumer, assignment)) return 1;
    for (int i = 0; i < assignment->cnt; i++) {
        int64_t low, high;
        if (rd_kafka_get_watermark_offsets(consumer, assignment->elems[i].topic, assignment->elems[i].partition, &low, &high) ||
            high < 0 || assignment->elems[i].offset < 0 || assignment->elems[i].offset < high)
            return 1;
    }
    return 0;
}

/* Every 50 ms: while the consumer's queue holds less than half of queued.min.messages and the
 * consumer is behind, asks for the latest offsets of the assignment; the request wakes the
 * fetcher (exactly's FetchWakeup, minus its back-off, which a pipe that always takes records
 * never uses). */
static atomic_int wakeup_stop;
static void *wake_fetcher(void *argument) {
    rd_kafka_t *consumer = argument;
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(consumer);
    while (!atomic_load(&wakeup_stop)) {
        usleep(50000);
        if (rd_kafka_queue_length(queue) >= 250000) continue;
        rd_kafka_topic_partition_list_t *assignment = NULL;
        if (rd_kafka_assignment(consumer, &assignment) || !assignment) continue;
        if (assignment->cnt > 0 && is_behind(consumer, assignment)) {
            for (int i = 0; i < assignment->cnt; i++) assignment->elems[i].offset = -1;
            rd_kafka_offsets_for_times(consumer, assignment, 500);
        }
        rd_kafka_topic_partition_list_destroy(assignment);
    }
    rd_kafka_queue_destroy(queue);
    return NULL;
}

static int pipe_records(const char *bootstrap, const char *in, const char *out, long records, int wake, int transactional,
                        double epoch_seconds) {
    char error[512], group[64];
    snprintf(group, sizeof group, "raw-pipe-%d", (int)getpid());
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    configure(conf, "bootstrap.servers", bootstrap);
    configure(conf, "group.id", group);
    configure(conf, "auto.offset.reset", "earliest");
    configure(conf, "enable.auto.commit", "false");
    if (transactional) configure(conf, "isolation.level", "read_committed");
    /* The fetch-ahead queue exactly's consumer uses (KafkaClient's ConsumerConfiguration).
     * librdkafka stops fetching when it is full and looks again only when its broker thread
     * next wakes, up to a second later; without "wake" a pipe that drains the queue within
     * that second waits (starved_seconds). */
    configure(conf, "queued.min.messages", "500000");
    configure(conf, "queued.max.messages.kbytes", "131072");
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (!consumer) { fprintf(stderr, "consumer: %s\n", error); return 1; }
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, in, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    char transactional_id[64];
    snprintf(transactional_id, sizeof transactional_id, "raw-pipe-%d", (int)getpid());
    rd_kafka_t *producer = new_producer(bootstrap, transactional ? transactional_id : NULL);
    rd_kafka_topic_t *out_topic = rd_kafka_topic_new(producer, out, NULL);
    if (transactional) {
        fail_on(rd_kafka_init_transactions(producer, 30000), "init transactions");
        fail_on(rd_kafka_begin_transaction(producer), "begin a transaction");
    }

    pthread_t waker;
    if (wake) pthread_create(&waker, NULL, wake_fetcher, consumer);
    double started = seconds_now();
    double cpu_at_start = process_cpu_seconds();
    double starved = 0;
    long consumed = 0, commits = 0;
    double epoch_started = started;
    while (consumed < records) {
        /* The clock is read only when the queue is empty: read per record it was up to a sixth
         * of the pipe's CPU on a VM whose clock reads are slow, and the baseline would be slow. */
        rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 0);
        if (!message) {
            double asked = seconds_now();
            message = rd_kafka_consumer_poll(consumer, 100);
            starved += seconds_now() - asked;
            if (!message) continue;
        }
        int produced = !message->err;
        if (produced) {
            produce_or_wait(producer, out_topic, RD_KAFKA_PARTITION_UA, message->key, message->key_len, message->payload,
                            message->len, transactional ? source_header(message) : NULL);
            consumed++;
        }
        rd_kafka_message_destroy(message);
        if (!produced || (consumed & 4095) != 0) continue;
        rd_kafka_poll(producer, 0);
        /* An epoch as long as exactly's checkpoint interval (1 s unless told). The clock is read
         * every 4,096 records: at 1.5M records/s that is every 3 ms, close enough for 100 ms. */
        if (transactional && seconds_now() - epoch_started >= epoch_seconds) {
            /* The next epoch starts with this commit, not after it: exactly's interval, too, is
             * from one checkpoint's start to the next, and its commit round trip takes a few
             * milliseconds of each 100 ms. */
            epoch_started = seconds_now();
            commit_epoch(consumer, producer);
            commits++;
        }
    }
    if (transactional) {
        commit_epoch(consumer, producer);
        commits++;
    }
    rd_kafka_topic_destroy(out_topic);
    int status = finish(producer);
    double elapsed = seconds_now() - started;
    double cpu = process_cpu_seconds() - cpu_at_start;
    if (wake) {
        atomic_store(&wakeup_stop, 1);
        pthread_join(waker, NULL);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    printf("%s records=%ld seconds=%.3f records_per_second=%.0f starved_seconds=%.3f cpu_us_per_record=%.2f",
           transactional ? "transactional-pipe" : "raw-pipe", consumed, elapsed, consumed / elapsed, starved,
           consumed ? cpu * 1e6 / consumed : 0.0);
    if (transactional) printf(" commits=%ld", commits);
    printf("\n");
    return status;
}

static int delete_topics(const char *bootstrap, char **names, int count) {
    char error[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    configure(conf, "bootstrap.servers", bootstrap);
    rd_kafka_t *admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!admin) { fprintf(stderr, "admin: %s\n", error); return 1; }
    rd_kafka_DeleteTopic_t *topics[count];
    for (int i = 0; i < count; i++) topics[i] = rd_kafka_DeleteTopic_new(names[i]);
    rd_kafka_queue_t *queue = rd_kafka_queue_new(admin);
    rd_kafka_DeleteTopics(admin, topics, count, NULL, queue);
    int status = 0;
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 30000);
    if (!event || rd_kafka_event_error(event)) {
        fprintf(stderr, "delete topics: %s\n", event ? rd_kafka_event_error_string(event) : "timed out");
        status = 1;
    } else {
        size_t results = 0;
        const rd_kafka_topic_result_t **each = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &results);
        for (size_t i = 0; i < results; i++) {
            if (rd_kafka_topic_result_error(each[i]) && rd_kafka_topic_result_error(each[i]) != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                fprintf(stderr, "delete %s: %s\n", rd_kafka_topic_result_name(each[i]), rd_kafka_topic_result_error_string(each[i]));
                status = 1;
            }
        }
    }
    if (event) rd_kafka_event_destroy(event);
    for (int i = 0; i < count; i++) rd_kafka_DeleteTopic_destroy(topics[i]);
    rd_kafka_queue_destroy(queue);
    rd_kafka_destroy(admin);
    return status;
}

int main(int argc, char **argv) {
    if (argc >= 7 && strcmp(argv[1], "produce") == 0) {
        return produce_orders(argv[2], argv[3], atol(argv[4]), atol(argv[5]), atoi(argv[6]), argc > 7 ? atol(argv[7]) : 0);
    }
    if (argc >= 6 && argc <= 9 && strcmp(argv[1], "pipe") == 0) {
        int wake = 0, transactional = 0;
        long epoch_ms = 1000;
        for (int i = 6; i < argc; i++) {
            if (strcmp(argv[i], "wake") == 0) wake = 1;
            else if (strcmp(argv[i], "transactional") == 0) transactional = 1;
            else if (strncmp(argv[i], "epoch-ms=", 9) == 0 && (epoch_ms = atol(argv[i] + 9)) > 0) continue;
            else { fprintf(stderr, "unknown pipe option `%s` (allowed: wake, transactional, epoch-ms=N with N >= 1)\n", argv[i]); return 2; }
        }
        if (epoch_ms != 1000 && !transactional) {
            fprintf(stderr, "epoch-ms=%ld goes with transactional: the raw pipe has no epochs\n", epoch_ms);
            return 2;
        }
        return pipe_records(argv[2], argv[3], argv[4], atol(argv[5]), wake, transactional, epoch_ms / 1000.0);
    }
    if (argc >= 4 && strcmp(argv[1], "delete") == 0) {
        return delete_topics(argv[2], argv + 3, argc - 3);
    }
    fprintf(stderr, "usage: %s produce BOOTSTRAP TOPIC RECORDS KEYS PARTITIONS [FIRST_KEY]\n"
                    "       %s pipe BOOTSTRAP IN OUT RECORDS [wake] [transactional] [epoch-ms=N]\n"
                    "       %s delete BOOTSTRAP TOPIC...\n", argv[0], argv[0], argv[0]);
    return 2;
}
