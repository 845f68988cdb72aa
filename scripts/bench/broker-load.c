/* Load generator for scripts/bench-broker.sh: produces N records of S bytes to a topic through
 * librdkafka, then consumes them back, and prints records/s and MB/s each way. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long delivered, failed;
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) failed++; else delivered++;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "config %s=%s: %s\n", k, v, err);
        exit(2);
    }
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s BOOTSTRAP TOPIC RECORDS SIZE [PARTITIONS]\n", argv[0]);
        return 2;
    }
    const char *bootstrap = argv[1], *topic = argv[2];
    long n = atol(argv[3]);
    int size = atoi(argv[4]);
    int partitions = argc > 5 ? atoi(argv[5]) : 1;
    char err[512];
    char *payload = malloc(size);
    memset(payload, 'x', size);

    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    set(pc, "bootstrap.servers", bootstrap);
    set(pc, "linger.ms", "5");
    set(pc, "batch.size", "1000000");
    set(pc, "batch.num.messages", "100000");
    set(pc, "queue.buffering.max.messages", "2000000");
    set(pc, "queue.buffering.max.kbytes", "2000000");
    set(pc, "acks", "1");
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
    if (!p) { fprintf(stderr, "producer: %s\n", err); return 1; }
    rd_kafka_topic_t *pt = rd_kafka_topic_new(p, topic, NULL);

    double t0 = now();
    for (long i = 0; i < n; i++) {
        while (rd_kafka_produce(pt, (int32_t)(i % partitions), RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == -1) {
            rd_kafka_poll(p, 1);
        }
        if ((i & 1023) == 0) rd_kafka_poll(p, 0);
    }
    rd_kafka_flush(p, 120000);
    double t1 = now();
    double ps = t1 - t0;
    printf("produce: %ld records of %d bytes in %.2f s: %.0f records/s, %.1f MB/s (%ld failed)\n",
           delivered, size, ps, delivered / ps, delivered * (double)size / ps / 1e6, failed);
    rd_kafka_topic_destroy(pt);
    rd_kafka_destroy(p);

    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    set(cc, "bootstrap.servers", bootstrap);
    set(cc, "group.id", "bench");
    /* librdkafka pauses fetching for fetch.error.backoff.ms when its queue holds more than
     * queued.min.messages; keep that above one fetch's worth so the consumer never idles. */
    set(cc, "queued.min.messages", "1000000");
    set(cc, "queued.max.messages.kbytes", "1000000");
    set(cc, "max.partition.fetch.bytes", "4194304");
    set(cc, "enable.partition.eof", "false");
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    if (!c) { fprintf(stderr, "consumer: %s\n", err); return 1; }
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; i++)
        rd_kafka_topic_partition_list_add(list, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, list);
    rd_kafka_topic_partition_list_destroy(list);

    long got = 0, bytes = 0;
    double c0 = now(), last = c0;
    while (got < delivered && now() - last < 20) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m) continue;
        if (!m->err) { got++; bytes += m->len; last = now(); }
        rd_kafka_message_destroy(m);
    }
    double cs = last - c0;
    printf("fetch:   %ld records of %d bytes in %.2f s: %.0f records/s, %.1f MB/s\n",
           got, size, cs, got / cs, bytes / cs / 1e6);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return got == delivered && failed == 0 ? 0 : 1;
}
