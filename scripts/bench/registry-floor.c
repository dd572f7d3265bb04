/*
 * registry-floor: the registry's floor under `manifest create` on this machine.
 *
 * Sends the requests one list of three children needs, as the coordinator does them, from one process that never
 * starts another and keeps its connections open between lists: for each child at once (a thread and a kept-alive
 * connection each), GET its manifest by tag, then GET its config blob; then PUT the list; then GET the list back by
 * tag and compare it with what was pushed. Blocking sockets, no TLS, no JSON library: what is left of a list's wall
 * time is the registry's own work and the loopback round trips, which no client can take away.
 *
 * Usage: registry-floor HOST PORT REPOSITORY TARGET_TAG RUNS CHILD_TAG...
 * Prints one wall time in ms per list, one per line (a first list that opens the connections is not printed).
 * HOST must be an IPv4 address on 127.0.0.0/8. Built and run by scripts/bench/manifest-create.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 8
#define BUFFER (1 << 20)

static const char *accept_all =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
static const char *list_type = "application/vnd.docker.distribution.manifest.list.v2+json";
static const char *host, *repository;
static int port;

static void die(const char *what) {
    fprintf(stderr, "registry-floor: %s\n", what);
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int connect_registry(void) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1 || (ntohl(address.sin_addr.s_addr) >> 24) != 127)
        die("HOST must be an IPv4 address on 127.0.0.0/8");
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) die("cannot connect to the registry");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* One request on a kept-alive connection; the body goes to `body` (NUL-terminated), its length is returned. */
static size_t exchange(int fd, const char *head, const char *payload, size_t payload_length, char *body,
                       char *content_type) {
    static __thread char response[BUFFER];
    if (write(fd, head, strlen(head)) < 0 || (payload_length && write(fd, payload, payload_length) < 0))
        die("write failed");
    size_t have = 0;
    char *end = NULL;
    while (!(end = memmem(response, have, "\r\n\r\n", 4))) {
        ssize_t n = read(fd, response + have, BUFFER - 1 - have);
        if (n <= 0) die("the registry closed the connection");
        have += n;
    }
    response[have] = 0;
    int status = atoi(response + 9);
    if (status < 200 || status >= 300) {
        fprintf(stderr, "registry-floor: HTTP %d for %.80s\n", status, head);
        exit(1);
    }
    char *length_header = strcasestr(response, "\r\nContent-Length:");
    size_t length = length_header && length_header < end ? strtoul(length_header + 17, NULL, 10) : 0;
    if (content_type) {
        char *type = strcasestr(response, "\r\nContent-Type:");
        if (!type || type > end || sscanf(type + 15, " %255[^\r]", content_type) != 1) die("no Content-Type");
    }
    size_t header_length = end + 4 - response;
    while (have < header_length + length) {
        ssize_t n = read(fd, response + have, BUFFER - 1 - have);
        if (n <= 0) die("short body");
        have += n;
    }
    memcpy(body, response + header_length, length);
    body[length] = 0;
    return length;
}

/* The string value of the first "key":"value" after `after` in a JSON document (enough for these documents). */
static void json_string(const char *document, const char *after, const char *key, char *out, size_t size) {
    const char *from = after ? strstr(document, after) : document;
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = from ? strstr(from, pattern) : NULL;
    if (!at) {
        out[0] = 0;
        return;
    }
    at += strlen(pattern);
    size_t n = strcspn(at, "\"");
    if (n >= size) die("a JSON value is too long");
    memcpy(out, at, n);
    out[n] = 0;
}

struct child {
    const char *tag;
    int fd;
    char entry[2048];
};

static void *resolve(void *argument) {
    struct child *child = argument;
    static __thread char manifest[BUFFER], config[BUFFER], head[1024];
    char media_type[256], config_digest[128], architecture[64], os[64], os_version[64];
    snprintf(head, sizeof head, "GET /v2/%s/manifests/%s HTTP/1.1\r\nHost: %s:%d\r\nAccept: %s\r\n\r\n", repository,
             child->tag, host, port, accept_all);
    size_t manifest_length = exchange(child->fd, head, NULL, 0, manifest, media_type);
    json_string(manifest, "\"config\"", "digest", config_digest, sizeof config_digest);
    snprintf(head, sizeof head, "GET /v2/%s/blobs/%s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", repository, config_digest, host,
             port);
    exchange(child->fd, head, NULL, 0, config, NULL);
    json_string(config, NULL, "architecture", architecture, sizeof architecture);
    json_string(config, NULL, "os", os, sizeof os);
    json_string(config, NULL, "os.version", os_version, sizeof os_version);
    /* The digest of the manifest's exact bytes, computed here as the coordinator does. */
    unsigned char sum[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)manifest, manifest_length, sum);
    char digest[72] = "sha256:";
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) sprintf(digest + 7 + 2 * i, "%02x", sum[i]);
    char platform[256];
    if (os_version[0])
        snprintf(platform, sizeof platform, "{\"architecture\":\"%s\",\"os\":\"%s\",\"os.version\":\"%s\"}",
                 architecture, os, os_version);
    else
        snprintf(platform, sizeof platform, "{\"architecture\":\"%s\",\"os\":\"%s\"}", architecture, os);
    snprintf(child->entry, sizeof child->entry, "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":%s}",
             media_type, digest, manifest_length, platform);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 7 || argc - 6 > MAX_CHILDREN)
        die("usage: registry-floor HOST PORT REPOSITORY TARGET_TAG RUNS CHILD_TAG...");
    host = argv[1], port = atoi(argv[2]), repository = argv[3];
    const char *target = argv[4];
    int runs = atoi(argv[5]), count = argc - 6;
    struct child children[MAX_CHILDREN];
    for (int i = 0; i < count; i++) children[i] = (struct child){.tag = argv[6 + i], .fd = connect_registry()};
    static char list[16384], head[1024], read_back[BUFFER];
    for (int run = 0; run <= runs; run++) {
        double start = now();
        pthread_t threads[MAX_CHILDREN];
        for (int i = 0; i < count; i++) pthread_create(&threads[i], NULL, resolve, &children[i]);
        for (int i = 0; i < count; i++) pthread_join(threads[i], NULL);
        size_t length = snprintf(list, sizeof list, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[", list_type);
        for (int i = 0; i < count; i++)
            length += snprintf(list + length, sizeof list - length, "%s%s", i ? "," : "", children[i].entry);
        length += snprintf(list + length, sizeof list - length, "]}");
        snprintf(head, sizeof head, "PUT /v2/%s/manifests/%s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: %s\r\n"
                 "Content-Length: %zu\r\n\r\n", repository, target, host, port, list_type, length);
        exchange(children[0].fd, head, list, length, read_back, NULL);
        snprintf(head, sizeof head, "GET /v2/%s/manifests/%s HTTP/1.1\r\nHost: %s:%d\r\nAccept: %s\r\n\r\n",
                 repository, target, host, port, accept_all);
        size_t back = exchange(children[0].fd, head, NULL, 0, read_back, NULL);
        if (back != length || memcmp(read_back, list, length) != 0) die("the list did not read back as pushed");
        if (run > 0) printf("%.2f\n", now() - start);
    }
    return 0;
}
